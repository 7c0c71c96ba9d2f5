"""Resumable uploads (tus 1.0) through HTTP: create, resume, append, complete, cancel, sweep.

Bytes are real images made in the test; a dropped connection is a request body that ends
(or fails) before its Content-Length, after which the client asks the offset (HEAD) and goes
on from there, as a tus client does.
"""

import base64
import io
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlparse

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images.audit import storage_audit
from images.models import Image
from resumable.models import ResumableUpload
from tests.conftest import ON_S3_STACK
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes
from tests.parallel import in_parallel
from users.models import User

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
PHOTO = image_bytes(noisy=True)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def create(client: APIClient, length: int, *, filename: str = "photo.jpg", **extra: str):
    metadata = f"filename {b64(filename)},style {b64('none')},title {b64('Beach')}"
    return client.post(
        reverse("upload-list"),
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=metadata,
        **TUS,
        **extra,
    )


def created_url(client: APIClient, length: int, **kwargs: str) -> str:
    response = create(client, length, **kwargs)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return urlparse(response["Location"]).path


class CutBody(io.RawIOBase):
    """A request body that stops after ``cut`` bytes: at its end, or with a reset."""

    def __init__(self, data: bytes, cut: int, *, reset: bool = False) -> None:
        self.data, self.cut, self.reset, self.position = data, cut, reset, 0

    def read(self, size: int = -1) -> bytes:
        if self.position >= self.cut:
            if self.reset:
                raise ConnectionResetError("the client went away")
            return b""
        end = self.cut if size < 0 else min(self.cut, self.position + size)
        chunk = self.data[self.position : end]
        self.position = end
        return chunk


class GeneratedBody(io.RawIOBase):
    """``length`` bytes made as they are read, never held whole."""

    def __init__(self, length: int) -> None:
        self.left = length
        self.block = bytes(range(256)) * 256

    def read(self, size: int = -1) -> bytes:
        size = min(self.left, len(self.block) if size < 0 else min(size, len(self.block)))
        self.left -= size
        return self.block[:size]


def patch(
    client: APIClient,
    url: str,
    offset: int,
    data: bytes,
    *,
    content_type: str = OFFSET_TYPE,
    body: io.RawIOBase | None = None,
    length: int | None = None,
    **extra: str,
):
    """A PATCH of ``data`` at ``offset``; ``body`` sends a stream instead (Content-Length
    ``length``, by default ``len(data)``)."""
    return client.generic(
        "PATCH",
        url,
        **TUS,
        HTTP_UPLOAD_OFFSET=str(offset),
        content_type=content_type,
        CONTENT_LENGTH=str(len(data) if length is None else length),
        **{"wsgi.input": body if body is not None else io.BytesIO(data)},
        **extra,
    )


def head_offset(client: APIClient, url: str) -> int:
    response = client.head(url, **TUS)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Cache-Control"] == "no-store"
    return int(response["Upload-Offset"])


def original_bytes(client: APIClient, image_id: str) -> bytes:
    response = client.get(reverse("image-original", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content) if response.streaming else response.content


def upload_whole(client: APIClient, data: bytes, *, parts: int = 3) -> tuple[str, str]:
    """Uploads ``data`` in ``parts`` PATCHes; returns the upload's URL and the image id."""
    url = created_url(client, len(data))
    step = -(-len(data) // parts)
    for start in range(0, len(data), step):
        response = patch(client, url, start, data[start : start + step])
        assert response.status_code == HTTPStatus.NO_CONTENT, response.content
    return url, response["Upload-Image"]


class TestDiscovery:
    def test_options_names_version_extensions_and_max_size(self, api_client, settings):
        response = api_client.options(reverse("upload-list"))
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert response["Tus-Version"] == "1.0.0"
        assert response["Tus-Max-Size"] == str(settings.ATELIER_MAX_RESUMABLE_BYTES)
        assert set(response["Tus-Extension"].split(",")) == {
            "creation",
            "termination",
            "expiration",
        }


class TestUpload:
    def test_parts_become_an_image_with_the_original_byte_identical(
        self, auth_client, assert_storage_consistent
    ):
        response = create(auth_client, len(PHOTO))
        assert response.status_code == HTTPStatus.CREATED
        assert response["Tus-Resumable"] == "1.0.0"
        assert response["Upload-Expires"]
        url = urlparse(response["Location"]).path
        assert head_offset(auth_client, url) == 0
        first = patch(auth_client, url, 0, PHOTO[:1000])
        assert first.status_code == HTTPStatus.NO_CONTENT
        assert first["Upload-Offset"] == "1000"
        assert "Upload-Image" not in first
        assert head_offset(auth_client, url) == 1000
        last = patch(auth_client, url, 1000, PHOTO[1000:])
        assert last.status_code == HTTPStatus.NO_CONTENT, last.content
        image_id = last["Upload-Image"]
        status = auth_client.get(url).json()
        assert (status["state"], status["image"], status["offset"]) == (
            "completed",
            image_id,
            len(PHOTO),
        )
        image = auth_client.get(reverse("image-detail", kwargs={"pk": image_id})).json()
        assert (image["title"], image["original_filename"]) == ("Beach", "photo.jpg")
        assert original_bytes(auth_client, image_id) == PHOTO
        assert_storage_consistent()

    def test_a_retried_final_patch_answers_the_same_image(self, auth_client):
        url, image_id = upload_whole(auth_client, PHOTO)
        again = patch(auth_client, url, len(PHOTO), b"")
        assert again.status_code == HTTPStatus.NO_CONTENT
        assert again["Upload-Image"] == image_id
        assert client_head_image(auth_client, url) == image_id
        assert Image.objects.count() == 1

    def test_a_refused_file_fails_the_upload_and_keeps_nothing(
        self, auth_client, assert_storage_consistent
    ):
        data = b"not an image at all " * 50
        url = created_url(auth_client, len(data), filename="notes.txt")
        response = patch(auth_client, url, 0, data)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"]
        status = auth_client.get(url).json()
        assert status["state"] == "failed"
        assert status["error"]["code"] == response.json()["code"]
        assert not Image.objects.exists()
        assert_storage_consistent()

    def test_delete_cancels_and_releases_the_quota(
        self, auth_client, user, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        user.quota_bytes = len(PHOTO) + 100
        user.save()
        url = created_url(auth_client, len(PHOTO))
        assert patch(auth_client, url, 0, PHOTO[:500]).status_code == HTTPStatus.NO_CONTENT
        assert create(auth_client, len(PHOTO)).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        with django_capture_on_commit_callbacks(execute=True):
            assert auth_client.delete(url, **TUS).status_code == HTTPStatus.NO_CONTENT
        assert auth_client.head(url, **TUS).status_code == HTTPStatus.NOT_FOUND
        assert_storage_consistent()
        assert create(auth_client, len(PHOTO)).status_code == HTTPStatus.CREATED

    def test_an_idempotency_key_replays_the_creation(self, auth_client):
        key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
        first = create(auth_client, len(PHOTO), **key)
        second = create(auth_client, len(PHOTO), **key)
        assert (first.status_code, second.status_code) == (HTTPStatus.CREATED,) * 2
        assert second["Idempotent-Replayed"] == "true"
        assert second["Location"] == first["Location"]
        assert ResumableUpload.objects.count() == 1


def client_head_image(client: APIClient, url: str) -> str:
    return client.head(url, **TUS)["Upload-Image"]


@hypothesis_settings(max_examples=10, deadline=None)
@given(
    cuts=st.lists(st.integers(1, len(PHOTO) - 1), max_size=4, unique=True).map(sorted),
    resets=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_an_upload_cut_anywhere_resumes_to_a_byte_identical_original(auth_client, cuts, resets):
    url = created_url(auth_client, len(PHOTO))
    response = None
    for cut, reset in zip([*cuts, len(PHOTO)], resets, strict=False):
        offset = head_offset(auth_client, url)  # the client reconnects and asks
        rest = PHOTO[offset:]
        body = CutBody(rest, cut - offset, reset=reset)
        response = patch(auth_client, url, offset, rest, body=body)
        assert response.status_code == HTTPStatus.NO_CONTENT, response.content
        assert int(response["Upload-Offset"]) == cut
    assert response is not None
    assert original_bytes(auth_client, response["Upload-Image"]) == PHOTO


class TestRefusals:
    def test_offset_mismatch_is_a_409_with_the_offset(self, auth_client):
        url = created_url(auth_client, len(PHOTO))
        patch(auth_client, url, 0, PHOTO[:100])
        response = patch(auth_client, url, 50, PHOTO[50:200])
        assert response.status_code == HTTPStatus.CONFLICT
        assert response.json() == {
            "detail": response.json()["detail"],
            "code": "offset_mismatch",
            "offset": 100,
        }
        assert head_offset(auth_client, url) == 100

    def test_wrong_content_type_is_a_415(self, auth_client):
        url = created_url(auth_client, len(PHOTO))
        response = patch(auth_client, url, 0, PHOTO[:100], content_type="application/json")
        assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
        assert set(response.json()) >= {"detail", "code"}
        assert head_offset(auth_client, url) == 0

    def test_bytes_past_the_length_are_a_413_before_any_is_kept(self, auth_client):
        url = created_url(auth_client, 100)
        response = patch(auth_client, url, 0, PHOTO[:101])
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        assert response.json()["code"] == "past_upload_length"
        assert head_offset(auth_client, url) == 0

    def test_a_length_past_the_limit_is_refused_at_creation(self, auth_client, settings):
        settings.ATELIER_MAX_RESUMABLE_BYTES = 1000
        response = create(auth_client, 1001)
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        assert response.json()["code"] == "file_too_large"
        assert not ResumableUpload.objects.exists()

    def test_over_quota_is_refused_at_creation(self, auth_client, user):
        user.quota_bytes = 1000
        user.save()
        response = create(auth_client, 1001)
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        assert response.json()["code"] == "quota_exceeded"
        assert create(auth_client, 600).status_code == HTTPStatus.CREATED
        # The open upload holds its 600 bytes: 600 more would pass the quota.
        assert create(auth_client, 600).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    def test_an_open_upload_holds_its_bytes_against_a_plain_upload(self, auth_client, user):
        user.quota_bytes = len(PHOTO) + 500
        user.save()
        assert create(auth_client, 600).status_code == HTTPStatus.CREATED
        response = auth_client.post(
            reverse("image-list"), {"file": io.BytesIO(PHOTO)}, format="multipart"
        )
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE, response.json()
        assert response.json()["code"] == "quota_exceeded"
        assert not Image.objects.exists()

    @pytest.mark.parametrize(
        ("header", "value"), [("HTTP_UPLOAD_LENGTH", "-1"), ("HTTP_UPLOAD_LENGTH", "1e3")]
    )
    def test_an_invalid_length_is_a_400(self, auth_client, header, value):
        response = auth_client.post(reverse("upload-list"), **TUS, **{header: value})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "invalid_header"

    def test_invalid_metadata_is_a_400(self, auth_client):
        response = auth_client.post(
            reverse("upload-list"), HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA="x !!", **TUS
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "invalid_metadata"

    def test_another_tus_version_is_a_412(self, auth_client):
        response = auth_client.post(reverse("upload-list"), HTTP_UPLOAD_LENGTH="10")
        assert response.status_code == HTTPStatus.PRECONDITION_FAILED
        assert response["Tus-Version"] == "1.0.0"
        assert response.json()["code"] == "tus_version_unsupported"


class TestPrivacy:
    def test_another_account_gets_the_404_of_a_missing_upload(self, auth_client, other_client):
        url = created_url(auth_client, len(PHOTO))
        missing = reverse("upload-detail", kwargs={"pk": uuid.uuid4()})
        for target in (url, missing):
            assert other_client.head(target, **TUS).status_code == HTTPStatus.NOT_FOUND
            assert other_client.get(target).json() == {"detail": "Not found.", "code": "not_found"}
            response = patch(other_client, target, 0, PHOTO[:10])
            assert response.status_code == HTTPStatus.NOT_FOUND
            assert response.json() == {"detail": "Not found.", "code": "not_found"}
            response = other_client.delete(target, **TUS)
            assert response.json() == {"detail": "Not found.", "code": "not_found"}
        assert head_offset(auth_client, url) == 0

    def test_anonymous_gets_401(self, api_client, auth_client):
        url = created_url(auth_client, len(PHOTO))
        assert create(api_client, 10).status_code == HTTPStatus.UNAUTHORIZED
        assert api_client.head(url, **TUS).status_code == HTTPStatus.UNAUTHORIZED
        response = patch(api_client, url, 0, PHOTO[:10])
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["code"] == "not_authenticated"
        assert api_client.delete(url, **TUS).status_code == HTTPStatus.UNAUTHORIZED


class TestSweep:
    def test_an_expired_upload_is_swept_and_storage_is_clean(
        self, auth_client, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        url = created_url(auth_client, len(PHOTO))
        assert patch(auth_client, url, 0, PHOTO[:700]).status_code == HTTPStatus.NO_CONTENT
        # While it lives, its staged bytes are the upload's, not orphans.
        assert storage_audit(storage=default_storage).orphans == set()
        ResumableUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert auth_client.head(url, **TUS).status_code == HTTPStatus.NOT_FOUND
        with django_capture_on_commit_callbacks(execute=True):
            call_command("uploads_sweep", stdout=io.StringIO())
        assert not ResumableUpload.objects.exists()
        assert_storage_consistent()

    def test_deleting_the_account_removes_its_staged_uploads(
        self, auth_client, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        url = created_url(auth_client, len(PHOTO))
        patch(auth_client, url, 0, PHOTO[:700])
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert response.status_code == HTTPStatus.NO_CONTENT, response.content
        assert not ResumableUpload.objects.exists()
        assert_storage_consistent()

    def test_the_sweep_is_a_task_beat_runs(self, settings, db):
        from resumable.tasks import uploads_sweep

        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert uploads_sweep.name in tasks
        assert uploads_sweep() == 0

    def test_staged_bytes_without_an_upload_are_orphans(self, auth_client):
        url = created_url(auth_client, len(PHOTO))
        patch(auth_client, url, 0, PHOTO[:700])
        ResumableUpload.objects.all().delete()  # as if its row were lost
        assert storage_audit(storage=default_storage).orphans


@pytest.mark.skipif(ON_S3_STACK, reason="measures the file-system path; the bench measures S3")
def test_a_large_patch_streams_without_holding_the_upload_in_memory(auth_client, settings):
    size = 64 * 1024 * 1024
    settings.ATELIER_MAX_RESUMABLE_BYTES = size + 1
    url = created_url(auth_client, size + 1)  # one byte short: no image is made of it
    tracemalloc.start()
    try:
        response = patch(auth_client, url, 0, b"", body=GeneratedBody(size), length=size)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == HTTPStatus.NO_CONTENT, response.content
    assert response["Upload-Offset"] == str(size)
    assert peak < size // 16, f"peak {peak:,} bytes for a {size:,}-byte PATCH"


def test_a_multi_part_upload_with_a_dropped_part(auth_client, settings, assert_storage_consistent):
    """On S3, ~12 MB in 5 MiB parts: tails carried between PATCHes, a PATCH cut mid-part."""
    settings.ATELIER_RESUMABLE_PART_BYTES = 5 * 1024 * 1024
    size = (2048, 1536) if ON_S3_STACK else (96, 64)
    data = image_bytes(fmt="PNG", size=size, noisy=True, compress_level=0)
    url = created_url(auth_client, len(data), filename="big.png")
    third = len(data) // 3
    assert patch(auth_client, url, 0, data[:third]).status_code == HTTPStatus.NO_CONTENT
    rest = data[third:]
    cut = patch(auth_client, url, third, rest, body=CutBody(rest, third // 2 + 7, reset=True))
    assert cut.status_code == HTTPStatus.NO_CONTENT
    offset = head_offset(auth_client, url)
    assert offset == third + third // 2 + 7
    last = patch(auth_client, url, offset, data[offset:])
    assert last.status_code == HTTPStatus.NO_CONTENT, last.content
    assert original_bytes(auth_client, last["Upload-Image"]) == data
    assert_storage_consistent()


# --- Races on PostgreSQL: real threads, each with its own connection ------------------------


def _client(username: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    tokens = client.post(
        reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


@pytest.fixture
def racer() -> Callable[[], tuple[User, APIClient]]:
    if connection.vendor != "postgresql":
        pytest.skip("row-locking races are tested on PostgreSQL")
    racer = UserFactory(username="racer")
    return racer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRaces:
    def test_two_parallel_creations_cannot_both_pass_the_quota(self, racer):
        racer.quota_bytes = 1000
        racer.save()
        clients = [_client("racer"), _client("racer")]
        statuses = in_parallel(*(lambda c=c: create(c, 600).status_code for c in clients))
        assert sorted(statuses) == [HTTPStatus.CREATED, HTTPStatus.REQUEST_ENTITY_TOO_LARGE]
        assert ResumableUpload.objects.count() == 1

    def test_a_raced_final_patch_makes_one_image(self, racer):
        clients = [_client("racer"), _client("racer")]
        url = created_url(clients[0], len(PHOTO))
        patch(clients[0], url, 0, PHOTO[:-10])
        offset = len(PHOTO) - 10
        responses = in_parallel(
            *(lambda c=c: patch(c, url, offset, PHOTO[offset:]) for c in clients)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == HTTPStatus.NO_CONTENT
        assert statuses[1] in (HTTPStatus.NO_CONTENT, HTTPStatus.CONFLICT)
        assert Image.objects.count() == 1
        retry = patch(clients[1], url, len(PHOTO), b"")
        assert retry["Upload-Image"] == str(Image.objects.get().pk)
