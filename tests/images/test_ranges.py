"""Range requests on served files (RFC 9110 §14), through HTTP, on real stored files.

A few hundred KB original (a noisy PNG) is fetched whole and in ranges: edges, suffixes,
open ends, past the end (a JSON 416), invalid headers (ignored: the whole file), several ranges
(``multipart/byteranges``, parsed back here byte for byte) and too many (the whole file), under
``If-Range`` and ``If-None-Match``, by HEAD, by a share's visitor and by a signed URL. On the S3
stack the same requests read SeaweedFS through ranged ``GetObject`` calls, and a 40 MB object is
streamed in bounded memory (on disk too).
"""

import hashlib
import random
import re
import tracemalloc
import uuid
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images import files
from images.models import Image
from tests.conftest import ON_S3_STACK
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

PARTIAL = HTTPStatus.PARTIAL_CONTENT
UNSATISFIABLE = HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def original(upload) -> tuple[str, bytes]:
    """An uploaded original of a few hundred KB: its URL and its exact bytes."""
    data = image_bytes("PNG", size=(300, 300), noisy=True)
    assert 200_000 < len(data) < 400_000
    image = upload(data, name="noise.png")
    return reverse("image-original", kwargs={"pk": image["id"]}), data


def _get(client: APIClient, url: str, range_: str | None = None, **headers: str):
    if range_ is not None:
        headers["HTTP_RANGE"] = range_
    return client.get(url, **headers)


def _multipart(response) -> list[tuple[str, str, bytes]]:
    """The parts of a ``multipart/byteranges`` body: (Content-Type, Content-Range, bytes)."""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", response["Content-Type"])
    assert match, response["Content-Type"]
    boundary = match.group(1).encode()
    body = _body(response)
    assert int(response["Content-Length"]) == len(body)
    opening, closing = b"--" + boundary + b"\r\n", b"\r\n--" + boundary + b"--\r\n"
    assert body.startswith(opening) and body.endswith(closing)
    parts = []
    for chunk in body[len(opening) : -len(closing)].split(b"\r\n--" + boundary + b"\r\n"):
        head, separator, data = chunk.partition(b"\r\n\r\n")
        assert separator
        fields = dict(line.split(": ", 1) for line in head.decode("ascii").split("\r\n"))
        assert set(fields) == {"Content-Type", "Content-Range"}
        parts.append((fields["Content-Type"], fields["Content-Range"], data))
    return parts


class TestSingleRange:
    def test_a_full_download_says_ranges_are_accepted(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url)
        assert response.status_code == HTTPStatus.OK
        assert response["Accept-Ranges"] == "bytes"
        assert response["Content-Length"] == str(len(data))
        assert "Content-Range" not in response
        assert _body(response) == data

    @pytest.mark.parametrize(
        ("header", "first", "last"),
        [
            ("bytes=0-0", 0, 0),  # the first byte
            ("bytes=-1", -1, -1),  # the last byte, as a suffix
            ("bytes={last}-{last}", -1, -1),  # the last byte, by position
            ("bytes=1000-1999", 1000, 1999),  # the middle
            ("bytes=5000-", 5000, -1),  # open-ended
            ("bytes=-4096", -4096, -1),  # a suffix
            ("bytes=100-{past}", 100, -1),  # a last position past the end is clamped
            ("BYTES = 7-8", None, None),  # spaces around "=": not the grammar, ignored
        ],
    )
    def test_the_exact_bytes_with_their_content_range(
        self, auth_client, original, header, first, last
    ):
        url, data = original
        size = len(data)
        response = _get(auth_client, url, header.format(last=size - 1, past=size + 10))
        if first is None:
            assert response.status_code == HTTPStatus.OK
            assert _body(response) == data
            return
        start, end = first % size, last % size
        assert response.status_code == PARTIAL
        assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert response["Content-Length"] == str(end - start + 1)
        assert response["Content-Type"] == "image/png"
        assert response["Accept-Ranges"] == "bytes"
        assert response["ETag"] == _get(auth_client, url)["ETag"]
        assert response["Content-Disposition"].startswith("inline; filename=")
        assert _body(response) == data[start : end + 1]

    def test_a_suffix_longer_than_the_file_is_the_whole_file(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url, f"bytes=-{len(data) * 3}")
        assert response.status_code == PARTIAL
        assert response["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
        assert _body(response) == data

    def test_the_unit_is_case_insensitive(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url, "Bytes=10-19")
        assert response.status_code == PARTIAL
        assert _body(response) == data[10:20]


class TestUnsatisfiable:
    @pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{far}", "bytes=-0"])
    def test_a_range_outside_the_file_is_a_json_416(self, auth_client, original, header):
        url, data = original
        response = _get(auth_client, url, header.format(size=len(data), far=len(data) * 2))
        assert response.status_code == UNSATISFIABLE
        assert response["Content-Range"] == f"bytes */{len(data)}"
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == "range_not_satisfiable"
        assert str(f"{len(data):,}") in body["detail"]
        assert "X-Accel-Redirect" not in response

    def test_one_satisfiable_range_among_others_is_served(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url, f"bytes={len(data)}-,-0,0-9")
        assert response.status_code == PARTIAL
        assert response["Content-Range"] == f"bytes 0-9/{len(data)}"
        assert _body(response) == data[:10]


class TestIgnoredRanges:
    @pytest.mark.parametrize(
        "header",
        [
            "bytes=9-5",  # last before first
            "items=0-9",  # an unknown unit
            "bytes=abc",
            "bytes=",
            "bytes=-",
            "bytes=0-9;x",
            "bytes=0x10-20",
            "bytes=١-٢",  # digits, but not ASCII ones
            "0-9",
            "bytes=0-9,9-5",  # one invalid spec spoils the header
            f"bytes=0-{'9' * 40}",  # no file is that long
        ],
    )
    def test_an_invalid_header_gets_the_whole_file(self, auth_client, original, header):
        url, data = original
        response = _get(auth_client, url, header)
        assert response.status_code == HTTPStatus.OK
        assert "Content-Range" not in response
        assert _body(response) == data

    def test_more_than_eight_ranges_get_the_whole_file(self, auth_client, original):
        url, data = original
        header = "bytes=" + ",".join(f"{n * 100}-{n * 100 + 9}" for n in range(9))
        response = _get(auth_client, url, header)
        assert response.status_code == HTTPStatus.OK
        assert _body(response) == data

    def test_ranges_asking_for_more_than_the_file_get_the_whole_file(self, auth_client, original):
        url, data = original
        # The CVE-2011-3192 pattern: each range is the file again.
        response = _get(auth_client, url, "bytes=0-,0-,1-,2-")
        assert response.status_code == HTTPStatus.OK
        assert _body(response) == data

    def test_a_range_on_a_matching_etag_is_still_a_304(self, auth_client, original):
        url, _ = original
        etag = _get(auth_client, url)["ETag"]
        response = _get(auth_client, url, "bytes=0-9", HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == HTTPStatus.NOT_MODIFIED
        assert _body(response) == b""
        assert "Content-Range" not in response


class TestSeveralRanges:
    def test_multipart_byteranges_carries_each_range_exactly(self, auth_client, original):
        url, data = original
        size = len(data)
        response = _get(auth_client, url, "bytes=-100, 500-599,0-9,  ,2000-")
        assert response.status_code == PARTIAL
        assert "Content-Range" not in response
        assert response["Accept-Ranges"] == "bytes"
        parts = _multipart(response)
        expected = [(0, 9), (500, 599), (2000, size - 1)]  # in file order; -100 lies in 2000-
        assert [(t, r) for t, r, _ in parts] == [
            ("image/png", f"bytes {first}-{last}/{size}") for first, last in expected
        ]
        assert [d for _, _, d in parts] == [data[first : last + 1] for first, last in expected]

    def test_overlapping_and_adjacent_ranges_are_coalesced(self, auth_client, original):
        url, data = original
        size = len(data)
        response = _get(auth_client, url, "bytes=0-9,10-19,15-29,100-109,105-")
        parts = _multipart(response)
        assert [r for _, r, _ in parts] == [f"bytes 0-29/{size}", f"bytes 100-{size - 1}/{size}"]
        assert b"".join(d for _, _, d in parts) == data[:30] + data[100:]

    def test_ranges_coalesced_into_one_are_a_single_part(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url, "bytes=20-29,0-9,10-19")
        assert response.status_code == PARTIAL
        assert response["Content-Type"] == "image/png"
        assert response["Content-Range"] == f"bytes 0-29/{len(data)}"
        assert _body(response) == data[:30]


class TestIfRange:
    def test_the_current_etag_lets_the_range_apply(self, auth_client, original):
        url, data = original
        etag = _get(auth_client, url)["ETag"]
        response = _get(auth_client, url, "bytes=10-19", HTTP_IF_RANGE=etag)
        assert response.status_code == PARTIAL
        assert _body(response) == data[10:20]

    @pytest.mark.parametrize("validator", ['"stale"', "W/{etag}", "not a date or a tag"])
    def test_another_or_weak_validator_gets_the_whole_file(self, auth_client, original, validator):
        url, data = original
        etag = _get(auth_client, url)["ETag"]
        response = _get(auth_client, url, "bytes=10-19", HTTP_IF_RANGE=validator.format(etag=etag))
        assert response.status_code == HTTPStatus.OK
        assert _body(response) == data

    def test_the_last_modified_date_lets_the_range_apply(self, auth_client, original):
        url, data = original
        modified = _get(auth_client, url)["Last-Modified"]
        response = _get(auth_client, url, "bytes=10-19", HTTP_IF_RANGE=modified)
        assert response.status_code == PARTIAL
        assert _body(response) == data[10:20]

    def test_another_date_gets_the_whole_file(self, auth_client, original):
        url, data = original
        modified = parsedate_to_datetime(_get(auth_client, url)["Last-Modified"])
        earlier = format_datetime(modified - timedelta(seconds=1), usegmt=True)
        response = _get(auth_client, url, "bytes=10-19", HTTP_IF_RANGE=earlier)
        assert response.status_code == HTTPStatus.OK
        assert _body(response) == data

    def test_a_failing_if_range_never_becomes_a_416(self, auth_client, original):
        url, data = original
        response = _get(auth_client, url, f"bytes={len(data)}-", HTTP_IF_RANGE='"stale"')
        assert response.status_code == HTTPStatus.OK
        assert _body(response) == data


class TestHead:
    def test_head_gives_the_length_and_no_body(self, auth_client, original):
        url, data = original
        response = auth_client.head(url)
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Length"] == str(len(data))
        assert response["Accept-Ranges"] == "bytes"
        assert response["ETag"] == _get(auth_client, url)["ETag"]
        assert _body(response) == b""

    def test_head_ignores_a_range(self, auth_client, original):
        url, data = original
        response = auth_client.head(url, HTTP_RANGE="bytes=0-9")
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Length"] == str(len(data))
        assert "Content-Range" not in response


class TestWhoMayAsk:
    def test_a_share_visitor_gets_ranges(self, auth_client, upload):
        image = upload(image_bytes("PNG", size=(200, 200), noisy=True), name="noise.png")
        share = auth_client.post(
            reverse("share-list"), {"image_ids": [image["id"]]}, format="json"
        ).json()
        visitor = APIClient()
        listed = visitor.get(urlsplit(share["api_url"]).path).json()["results"][0]
        url = urlsplit(listed["urls"]["processed"])
        path = f"{url.path}?{url.query}"
        whole = visitor.get(path)
        assert whole["Accept-Ranges"] == "bytes"
        assert "Last-Modified" not in whole  # the link does not tell when the owner uploaded
        data = _body(whole)
        response = visitor.get(path, HTTP_RANGE="bytes=-50", HTTP_IF_RANGE=whole["ETag"])
        assert response.status_code == PARTIAL
        assert response["Content-Range"] == f"bytes {len(data) - 50}-{len(data) - 1}/{len(data)}"
        assert _body(response) == data[-50:]
        assert visitor.get(path, HTTP_RANGE=f"bytes={len(data)}-").status_code == UNSATISFIABLE

    def test_a_signed_url_without_a_token_gets_ranges(self, api_client, upload):
        image = upload(image_bytes("PNG", size=(200, 200), noisy=True), name="noise.png")
        url = urlsplit(image["urls"]["processed"])
        sig = parse_qs(url.query)["sig"][0]
        data = _body(api_client.get(url.path, {"sig": sig}))
        response = api_client.get(url.path, {"sig": sig}, HTTP_RANGE="bytes=100-199")
        assert response.status_code == PARTIAL
        assert _body(response) == data[100:200]

    @pytest.mark.parametrize("header", ["bytes=0-9", "bytes=99999999-"])
    def test_another_account_s_range_is_the_missing_image_s_404(
        self, auth_client, other_client, original, header
    ):
        url, _ = original
        theirs = _get(other_client, url, header)
        missing = _get(auth_client, reverse("image-original", kwargs={"pk": uuid.uuid4()}), header)
        assert theirs.status_code == missing.status_code == HTTPStatus.NOT_FOUND
        assert theirs.json() == missing.json()
        assert "Content-Range" not in theirs and "Accept-Ranges" not in theirs


@pytest.mark.skipif(ON_S3_STACK, reason="the S3 stack run holds no property test")
@given(data=st.data())
def test_any_range_is_the_slice_of_the_file(auth_client, original, data):
    url, content = original
    size = len(content)
    start = data.draw(st.integers(0, size - 1), label="start")
    end = data.draw(st.integers(start, size + 1000), label="end")
    response = _get(auth_client, url, f"bytes={start}-{end}")
    assert response.status_code == PARTIAL
    assert _body(response) == content[start : end + 1]
    second = data.draw(st.integers(0, size - 1), label="second")
    split = _get(auth_client, url, f"bytes={start}-{second - 1 if second > start else ''}")
    if second <= start:
        assert _body(split) == content[start:]
    else:
        assert _body(split) + _body(_get(auth_client, url, f"bytes={second}-")) == content[start:]


class TestBoundedMemory:
    """A large object streams in about one chunk of memory, whole or in a range.

    django-storages' ``S3File`` would hold all of it first (its spool has no size limit by
    default): a 1 GB video in a web worker's memory.
    """

    SIZE = 40 * 1024 * 1024
    PEAK = 8 * 1024 * 1024

    def test_a_large_file_streams_in_bounded_memory(self, auth_client, upload):
        image = Image.objects.get(pk=upload()["id"])
        data = random.Random(21).randbytes(self.SIZE)
        digest = hashlib.sha256(data).hexdigest()
        middle = hashlib.sha256(data[self.SIZE // 4 : self.SIZE // 2]).hexdigest()
        key = files.file_store(
            key=f"{image.owner_id}/{image.pk}/large.bin", content=ContentFile(data)
        )
        del data
        Image.objects.filter(pk=image.pk).update(original_key=key)
        url = reverse("image-original", kwargs={"pk": image.pk})

        whole = self._streamed(auth_client, url)
        assert whole == (HTTPStatus.OK, self.SIZE, digest)
        part = self._streamed(
            auth_client, url, HTTP_RANGE=f"bytes={self.SIZE // 4}-{self.SIZE // 2 - 1}"
        )
        assert part == (PARTIAL, self.SIZE // 4, middle)

    def _streamed(self, client: APIClient, url: str, **headers: str) -> tuple[int, int, str]:
        tracemalloc.start()
        try:
            response = client.get(url, **headers)
            hasher, length = hashlib.sha256(), 0
            for chunk in response.streaming_content:
                hasher.update(chunk)
                length += len(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < self.PEAK, f"streaming peaked at {peak:,} bytes"
        return response.status_code, length, hasher.hexdigest()
