"""The privacy matrix for what moves: a video's stream and a motion photo's clip.

``tests/images/test_sharing_privacy.py`` walks every caller and every link state for a
photo's four files; this walks the two files issue 21 added, ``video`` and ``motion``, through
the same callers and states: the owner (a token, a signed URL), another account, nobody, a
link's visitor (open, locked before and after its password, revoked), a signature moved to
another image or link, and the picture out of the album, in the trash and purged. Whatever is
not allowed answers exactly as something missing does, ranges included.
"""

from http import HTTPStatus
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import image_bytes
from tests.live_factories import clip as live_clip
from tests.live_factories import micro_video
from tests.videos import clip as video_clip

pytestmark = [pytest.mark.django_db]

PASSWORD = "harbour lights 1987"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _sig(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]


def _shared(token: str, image_id: str, rendition: str, sig: str = "") -> str:
    path = reverse(f"shared-{rendition}", kwargs={"token": token, "image_id": image_id})
    return f"{path}?sig={sig}" if sig else path


def _json(client: APIClient, method: str, name: str, body: dict | None = None, **kwargs) -> dict:
    response = getattr(client, method)(reverse(name, kwargs=kwargs or None), body, format="json")
    assert response.status_code < 300, response.content
    return response.json() if response.content else {}


def _page(client: APIClient, share: dict, grant: str | None = None) -> list[dict]:
    headers = {"HTTP_X_SHARE_GRANT": grant} if grant else {}
    response = client.get(reverse("shared-detail", kwargs={"token": share["token"]}), **headers)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


# The two kinds of moving file, each with what makes one and the rendition that serves it.
MOVING = {
    "video": (lambda: video_clip("h264_aac.mp4"), "clip.mp4"),
    "motion": (lambda: micro_video(live_clip()), "PXL_20261207_MP.jpg"),
}


@pytest.fixture(params=sorted(MOVING))
def moving(request, auth_client, upload) -> SimpleNamespace:
    """One moving picture and a still beside it, both in an album with an open link and a
    locked one."""
    rendition = request.param
    make, name = MOVING[rendition]
    item = upload(make(), name=name)
    assert item["urls"][rendition], item
    still = upload(image_bytes(color=(9, 99, 199)))
    assert still["urls"].get(rendition) is None  # a still has no moving file
    album = _json(auth_client, "post", "album-list", {"title": "Moving"})
    _json(
        auth_client,
        "put",
        "album-images",
        {"image_ids": [item["id"], still["id"]]},
        pk=album["id"],
    )
    open_link = _json(auth_client, "post", "share-list", {"album": album["id"]})
    locked = _json(auth_client, "post", "share-list", {"album": album["id"], "password": PASSWORD})
    return SimpleNamespace(
        rendition=rendition, item=item, still=still, album=album, open=open_link, locked=locked
    )


def _owner_route(rendition: str, pk: str) -> str:
    return reverse(f"image-{rendition}", kwargs={"pk": pk})


class TestCallers:
    def test_the_owner_with_a_token_and_with_a_signed_url(self, auth_client, moving):
        route = _owner_route(moving.rendition, moving.item["id"])
        whole = auth_client.get(route)
        assert whole.status_code == HTTPStatus.OK
        data = _bytes(whole)
        assert data[4:8] == b"ftyp"  # an MP4 either way
        ranged = auth_client.get(route, HTTP_RANGE="bytes=0-99")
        assert ranged.status_code == HTTPStatus.PARTIAL_CONTENT
        assert _bytes(ranged) == data[:100]
        signed_url = _path(moving.item["urls"][moving.rendition])
        signed = APIClient().get(signed_url, HTTP_RANGE="bytes=-8")
        assert signed.status_code == HTTPStatus.PARTIAL_CONTENT and _bytes(signed) == data[-8:]

    def test_another_account_gets_the_404_of_a_missing_image(self, other_client, moving):
        route = _owner_route(moving.rendition, moving.item["id"])
        missing = other_client.get(_owner_route(moving.rendition, MISSING_ID))
        for headers in ({}, {"HTTP_RANGE": "bytes=0-9"}, {"HTTP_ACCEPT": "video/*"}):
            response = other_client.get(route, **headers)
            assert response.status_code == HTTPStatus.NOT_FOUND, headers
            assert response.json() == missing.json(), headers
        # The owner's signed URL names one image: moved to another account's or to the still,
        # it opens nothing.
        sig = _sig(moving.item["urls"][moving.rendition])
        moved = _owner_route(moving.rendition, moving.still["id"]) + f"?sig={sig}"
        assert APIClient().get(moved).status_code == HTTPStatus.NOT_FOUND

    def test_nobody_gets_a_401(self, moving):
        response = APIClient().get(_owner_route(moving.rendition, moving.item["id"]))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["code"] == "not_authenticated"

    def test_a_still_has_no_moving_file_for_its_owner_either(self, auth_client, moving):
        # Not a 409 "ask again shortly": a rendered photo will never have one.
        response = auth_client.get(_owner_route(moving.rendition, moving.still["id"]))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "no_such_file"
        assert "Retry-After" not in response


class TestLinks:
    def test_an_open_link_carries_it_in_ranges(self, moving):
        visitor = APIClient()
        items = {item["id"]: item for item in _page(visitor, moving.open)}
        url = _path(items[moving.item["id"]]["urls"][moving.rendition])
        ranged = visitor.get(url, HTTP_RANGE="bytes=0-15")
        assert ranged.status_code == HTTPStatus.PARTIAL_CONTENT
        assert _bytes(ranged)[4:8] == b"ftyp"
        assert items[moving.still["id"]]["urls"].get(moving.rendition) is None

    def test_a_locked_link_gives_nothing_before_its_password(self, moving):
        visitor = APIClient()
        token, image_id = moving.locked["token"], moving.item["id"]
        open_url = next(i for i in _page(visitor, moving.open) if i["id"] == image_id)["urls"][
            moving.rendition
        ]
        for sig in ("", _sig(open_url), f"9999999999.{'a' * 40}"):
            response = visitor.get(_shared(token, image_id, moving.rendition, sig))
            assert response.status_code == HTTPStatus.UNAUTHORIZED, sig
            assert response.json()["code"] == "share_password_required", sig
        # After it: the page hands out a URL that opens it.
        grant = _json(visitor, "post", "shared-unlock", {"password": PASSWORD}, token=token)
        item = next(i for i in _page(visitor, moving.locked, grant["grant"]) if i["id"] == image_id)
        assert APIClient().get(_path(item["urls"][moving.rendition])).status_code == HTTPStatus.OK

    def test_a_signature_moved_to_another_image_or_link_opens_nothing(self, moving):
        visitor = APIClient()
        url = next(i for i in _page(visitor, moving.open) if i["id"] == moving.item["id"])["urls"][
            moving.rendition
        ]
        sig = _sig(url)
        other_link = _shared(moving.locked["token"], moving.item["id"], moving.rendition, sig)
        assert visitor.get(other_link).status_code == HTTPStatus.UNAUTHORIZED  # locked: unlock
        still = _shared(moving.open["token"], moving.still["id"], moving.rendition, sig)
        assert visitor.get(still).status_code == HTTPStatus.NOT_FOUND
        other_file = _shared(moving.open["token"], moving.item["id"], "original", sig)
        assert visitor.get(other_file).status_code == HTTPStatus.NOT_FOUND

    @pytest.mark.parametrize("ending", ["out_of_the_album", "revoked", "trashed", "album_deleted"])
    def test_each_ending_ends_it_at_once(self, auth_client, moving, ending):
        visitor = APIClient()
        url = _path(
            next(i for i in _page(visitor, moving.open) if i["id"] == moving.item["id"])["urls"][
                moving.rendition
            ]
        )
        assert visitor.get(url).status_code == HTTPStatus.OK
        owner_url = _path(moving.item["urls"][moving.rendition])
        if ending == "out_of_the_album":
            auth_client.post(
                reverse("album-images-remove", kwargs={"pk": moving.album["id"]}),
                {"image_ids": [moving.item["id"]]},
                format="json",
            )
        elif ending == "revoked":
            auth_client.delete(reverse("share-detail", kwargs={"pk": moving.open["id"]}))
        elif ending == "trashed":
            auth_client.delete(reverse("image-detail", kwargs={"pk": moving.item["id"]}))
        else:
            auth_client.delete(reverse("album-detail", kwargs={"pk": moving.album["id"]}))
        for headers in ({}, {"HTTP_RANGE": "bytes=0-9"}):
            assert visitor.get(url, **headers).status_code == HTTPStatus.NOT_FOUND, headers
        # The owner's own signed URL ends only with the trash.
        owner_status = HTTPStatus.NOT_FOUND if ending == "trashed" else HTTPStatus.OK
        assert APIClient().get(owner_url).status_code == owner_status
