"""Share links through HTTP: what a link shows, to whom, and when it stops."""

import io
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images.models import Share
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _share(client, **body) -> dict:
    response = client.post(reverse("share-list"), body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def _album_with(client, *images) -> dict:
    album = client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
    client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [i["id"] for i in images]},
        format="json",
    )
    return album


@pytest.fixture
def visitor() -> APIClient:
    return APIClient()


def _exif_jpeg() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)
    gps[3], gps[4] = "W", (0.0, 7.0, 30.0)
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


class TestPublicSide:
    def test_an_album_link_shows_its_images_and_no_owner(self, auth_client, upload, visitor):
        image = upload(title="Harbour")
        album = _album_with(auth_client, image)
        share = _share(auth_client, album=album["id"], title="For Gran")

        response = visitor.get(_path(share["api_url"]))
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert body["title"] == "For Gran"
        [item] = body["results"]
        assert item["id"] == image["id"] and item["title"] == "Harbour"
        assert set(item) == {
            "id",
            "title",
            "width",
            "height",
            "placeholder",
            "kind",
            "duration",
            "urls",
        }
        assert set(item["urls"]) == {"processed", "preview", "thumbnail", "expires_at"}
        assert "alice" not in response.content.decode()
        thumb = visitor.get(_path(item["urls"]["thumbnail"]))
        assert thumb.status_code == HTTPStatus.OK
        assert thumb["Content-Type"] == "image/jpeg"
        assert "alice" not in thumb["Content-Disposition"]

    def test_views_are_counted_for_the_owner(self, auth_client, upload, visitor):
        share = _share(auth_client, image_ids=[upload()["id"]])
        visitor.get(_path(share["api_url"]))
        visitor.get(_path(share["api_url"]))
        seen = auth_client.get(reverse("share-detail", kwargs={"pk": share["id"]})).json()
        assert seen["view_count"] == 2 and seen["last_viewed_at"] is not None

    def test_unknown_expired_and_revoked_are_the_same_404(self, auth_client, upload, visitor):
        image = upload()
        expired = _share(auth_client, image_ids=[image["id"]])
        Share.objects.filter(pk=expired["id"]).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        revoked = _share(auth_client, image_ids=[image["id"]])
        thumb = visitor.get(_path(revoked["api_url"])).json()["results"][0]["urls"]["thumbnail"]
        auth_client.delete(reverse("share-detail", kwargs={"pk": revoked["id"]}))
        unknown = reverse("shared-detail", kwargs={"token": "x" * 43})

        bodies = []
        for url in (_path(expired["api_url"]), _path(revoked["api_url"]), unknown, _path(thumb)):
            response = visitor.get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, url
            bodies.append(response.json())
        assert all(body == bodies[0] for body in bodies)

    def test_trashed_or_removed_images_leave_the_link_at_once(self, auth_client, upload, visitor):
        kept, trashed, removed = (upload(image_bytes(color=(i, i, i))) for i in (1, 2, 3))
        album = _album_with(auth_client, kept, trashed, removed)
        share = _share(auth_client, album=album["id"])
        page = visitor.get(_path(share["api_url"])).json()["results"]
        urls = {item["id"]: item["urls"]["thumbnail"] for item in page}

        auth_client.delete(reverse("image-detail", kwargs={"pk": trashed["id"]}))
        auth_client.delete(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [removed["id"]]},
            format="json",
        )

        page = visitor.get(_path(share["api_url"])).json()["results"]
        assert [item["id"] for item in page] == [kept["id"]]
        for gone in (trashed, removed):
            assert visitor.get(_path(urls[gone["id"]])).status_code == HTTPStatus.NOT_FOUND
        assert visitor.get(_path(urls[kept["id"]])).status_code == HTTPStatus.OK

    def test_deleting_the_album_revokes_its_links(self, auth_client, upload, visitor):
        album = _album_with(auth_client, upload())
        share = _share(auth_client, album=album["id"])
        auth_client.delete(reverse("album-detail", kwargs={"pk": album["id"]}))
        assert visitor.get(_path(share["api_url"])).status_code == HTTPStatus.NOT_FOUND
        assert not Share.objects.exists()

    def test_a_bearer_token_sent_along_changes_nothing(self, auth_client, other_client, upload):
        share = _share(auth_client, image_ids=[upload()["id"]], password="open sesame")
        # Another account's (or the owner's own) credentials are not a share's grant.
        for client in (other_client, auth_client):
            response = client.get(_path(share["api_url"]))
            assert response.status_code == HTTPStatus.UNAUTHORIZED
            assert response.json()["code"] == "share_password_required"


class TestPassword:
    def test_every_endpoint_needs_the_grant(self, auth_client, upload, visitor):
        share = _share(
            auth_client, image_ids=[upload()["id"]], password="open sesame", allow_original=True
        )
        assert "password" not in share and share["has_password"] is True
        url = _path(share["api_url"])
        response = visitor.get(url)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["code"] == "share_password_required"
        # The renditions too, with or without a made-up signature (Immich #29599).
        image_id = Share.objects.get().images.get().pk
        for rendition in ("thumbnail", "processed", "original"):
            path = reverse(
                f"shared-{rendition}", kwargs={"token": share["token"], "image_id": image_id}
            )
            for suffix in ("", "?sig=1.abc", f"?sig=9999999999.{'0' * 40}"):
                response = visitor.get(path + suffix)
                assert response.status_code == HTTPStatus.UNAUTHORIZED, (rendition, suffix)

        wrong = visitor.post(
            _path(share["api_url"]) + "unlock/", {"password": "nope"}, format="json"
        )
        assert wrong.status_code == HTTPStatus.UNAUTHORIZED
        assert wrong.json()["code"] == "share_password_invalid"
        unlocked = visitor.post(
            _path(share["api_url"]) + "unlock/", {"password": "open sesame"}, format="json"
        )
        assert unlocked.status_code == HTTPStatus.OK
        grant = unlocked.json()["grant"]
        page = visitor.get(url, HTTP_X_SHARE_GRANT=grant)
        assert page.status_code == HTTPStatus.OK
        item = page.json()["results"][0]
        for rendition in ("thumbnail", "processed", "original"):
            assert visitor.get(_path(item["urls"][rendition])).status_code == HTTPStatus.OK

        # A new password ends the grant and every URL handed out under the old one.
        auth_client.patch(
            reverse("share-detail", kwargs={"pk": share["id"]}),
            {"password": "another"},
            format="json",
        )
        assert visitor.get(url, HTTP_X_SHARE_GRANT=grant).status_code == 401
        assert visitor.get(_path(item["urls"]["thumbnail"])).status_code == 401

    def test_unlock_attempts_are_limited(self, auth_client, upload, visitor, settings):
        share = _share(auth_client, image_ids=[upload()["id"]], password="open sesame")
        url = _path(share["api_url"]) + "unlock/"
        codes = [
            visitor.post(url, {"password": f"guess {n}"}, format="json").status_code
            for n in range(12)
        ]
        assert codes[:10] == [HTTPStatus.UNAUTHORIZED] * 10
        assert codes[10:] == [HTTPStatus.TOO_MANY_REQUESTS] * 2
        refused = visitor.post(url, {"password": "open sesame"}, format="json")
        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert "Retry-After" in refused


class TestWhatALinkShows:
    def test_original_only_when_allowed(self, auth_client, upload, visitor):
        image = upload()
        closed = _share(auth_client, image_ids=[image["id"]])
        item = visitor.get(_path(closed["api_url"])).json()["results"][0]
        assert "original" not in item["urls"]
        path = reverse(
            "shared-original", kwargs={"token": closed["token"], "image_id": image["id"]}
        )
        # Even with a signature made for the processed rendition, moved to the original.
        sig = urlsplit(item["urls"]["processed"]).query
        assert visitor.get(f"{path}?{sig}").status_code == HTTPStatus.NOT_FOUND

    def test_metadata_hidden_and_stripped_from_the_original(self, auth_client, upload, visitor):
        image = upload(_exif_jpeg())
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        item = visitor.get(_path(share["api_url"])).json()["results"][0]
        assert "metadata" not in item and "taken_at" not in item
        original = visitor.get(_path(item["urls"]["original"]))
        assert original.status_code == HTTPStatus.OK
        data = b"".join(original.streaming_content) if original.streaming else original.content
        assert b"Canon" not in data and b"Exif\x00\x00" not in data
        stored = PILImage.open(io.BytesIO(_exif_jpeg()))
        served = PILImage.open(io.BytesIO(data))
        assert served.tobytes() == stored.tobytes()  # the pixels, untouched

    def test_metadata_shown_when_the_link_says_so(self, auth_client, upload, visitor):
        image = upload(_exif_jpeg())
        share = _share(
            auth_client, image_ids=[image["id"]], allow_original=True, show_metadata=True
        )
        item = visitor.get(_path(share["api_url"])).json()["results"][0]
        assert "taken_at" in item and "metadata" in item
        original = visitor.get(_path(item["urls"]["original"]))
        data = b"".join(original.streaming_content) if original.streaming else original.content
        assert b"Canon" in data

    def test_an_album_link_gives_the_albums_words_and_a_link_to_images_none(
        self, auth_client, upload, visitor
    ):
        image = upload()
        album = _album_with(auth_client, image)
        auth_client.patch(
            reverse("album-detail", kwargs={"pk": album["id"]}),
            {"description": "Ten days by the sea"},
            format="json",
        )
        album_link = _share(auth_client, album=album["id"])
        images_link = _share(auth_client, image_ids=[image["id"]])

        body = visitor.get(_path(album_link["api_url"])).json()
        assert body["album"] == {"title": "Trip", "description": "Ten days by the sea"}
        assert visitor.get(_path(images_link["api_url"])).json()["album"] is None

    def test_a_protected_album_link_gives_nothing_of_its_album_before_the_password(
        self, auth_client, upload, visitor
    ):
        album = _album_with(auth_client, upload())
        link = _share(auth_client, album=album["id"], password="open sesame")

        response = visitor.get(_path(link["api_url"]))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert "Trip" not in response.content.decode()


class TestOwnerSide:
    def test_only_my_album_or_images(self, auth_client, other_client, upload):
        theirs = upload(client=other_client)
        response = auth_client.post(
            reverse("share-list"), {"image_ids": [theirs["id"]]}, format="json"
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "image_ids" in response.json()
        their_album = other_client.post(reverse("album-list"), {"title": "x"}, format="json").json()
        response = auth_client.post(
            reverse("share-list"), {"album": their_album["id"]}, format="json"
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "album" in response.json()

    def test_album_or_images_not_both(self, auth_client, upload):
        image = upload()
        album = _album_with(auth_client, image)
        for body in ({}, {"album": album["id"], "image_ids": [image["id"]]}):
            response = auth_client.post(reverse("share-list"), body, format="json")
            assert response.status_code == HTTPStatus.BAD_REQUEST

    def test_expiry_in_the_past_is_refused(self, auth_client, upload):
        response = auth_client.post(
            reverse("share-list"),
            {"image_ids": [upload()["id"]], "expires_at": "2001-01-01T00:00:00Z"},
            format="json",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "expires_at" in response.json()

    def test_another_account_cannot_see_or_change_my_shares(
        self, auth_client, other_client, api_client, upload
    ):
        share = _share(auth_client, image_ids=[upload()["id"]])
        detail = reverse("share-detail", kwargs={"pk": share["id"]})
        assert other_client.get(reverse("share-list")).json()["results"] == []
        assert other_client.get(detail).status_code == HTTPStatus.NOT_FOUND
        assert other_client.patch(detail, {"title": "x"}, format="json").status_code == 404
        assert other_client.delete(detail).status_code == HTTPStatus.NOT_FOUND
        assert api_client.get(detail).status_code == HTTPStatus.UNAUTHORIZED
        assert Share.objects.filter(pk=share["id"]).exists()

    def test_token_is_long_and_random(self, auth_client, upload):
        image = upload()
        tokens = {_share(auth_client, image_ids=[image["id"]])["token"] for _ in range(5)}
        assert len(tokens) == 5
        assert all(len(token) >= 43 for token in tokens)  # 256 bits, URL-safe base64

    def test_password_is_stored_hashed(self, auth_client, upload):
        _share(auth_client, image_ids=[upload()["id"]], password="open sesame")
        stored = Share.objects.get().password
        assert stored and "open sesame" not in stored


class TestSafeRetries:
    def test_a_retried_share_creates_one_link(self, auth_client, upload):
        image = upload()
        body = {"image_ids": [image["id"]], "password": "open sesame"}
        first = auth_client.post(
            reverse("share-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="share-1"
        )
        again = auth_client.post(
            reverse("share-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="share-1"
        )
        assert first.status_code == again.status_code == HTTPStatus.CREATED
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
        assert Share.objects.count() == 1
        # The password is part of the request: another one under the same key is refused.
        other = auth_client.post(
            reverse("share-list"),
            {**body, "password": "another"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="share-1",
        )
        assert other.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert other.json()["code"] == "idempotency_key_reused"
        assert Share.objects.count() == 1


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


class TestLinkAddresses:
    def test_url_is_the_page_for_people_and_api_url_the_endpoint_for_clients(
        self, auth_client, upload, visitor
    ):
        share = _share(auth_client, image_ids=[upload()["id"]], title="For Gran")
        token = share["token"]
        assert urlsplit(share["url"]).path == reverse("share", args=[token])
        assert urlsplit(share["api_url"]).path == reverse("shared-detail", kwargs={"token": token})
        assert visitor.get(_path(share["url"])).status_code == HTTPStatus.OK
        assert "text/html" in visitor.get(_path(share["url"]))["Content-Type"]
        assert visitor.get(_path(share["api_url"])).json()["title"] == "For Gran"
        listed = auth_client.get(reverse("share-list")).json()["results"][0]
        assert (listed["url"], listed["api_url"]) == (share["url"], share["api_url"])


class TestStoredStrippedOriginal:
    """#18.2: an original served without metadata is stripped once, stored, then streamed."""

    @pytest.fixture
    def strip_calls(self, monkeypatch) -> list[int]:
        """Counts the real stripper's runs (it still does its work)."""
        import imaging.strip

        calls: list[int] = []
        real = imaging.strip.metadata_strip

        def counting(**kwargs):
            calls.append(len(kwargs["data"]))
            return real(**kwargs)

        monkeypatch.setattr(imaging.strip, "metadata_strip", counting)
        return calls

    def test_the_stripped_copy_is_made_once_and_then_streamed(
        self, auth_client, upload, visitor, strip_calls, assert_storage_consistent
    ):
        from images.models import Image

        image = upload(_exif_jpeg())
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        served = [_content(visitor.get(_path(item["urls"]["original"]))) for _ in range(3)]

        assert len(strip_calls) == 1
        assert served[0] == served[1] == served[2]
        assert b"Canon" not in served[0]
        stored = Image.objects.get(pk=image["id"])
        assert stored.stripped_key and stored.stripped_key != stored.original_key
        assert_storage_consistent()
        # A second link to the same image serves the same stored copy.
        again = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(again["api_url"])).json()["results"]
        assert _content(visitor.get(_path(item["urls"]["original"]))) == served[0]
        assert len(strip_calls) == 1

    def test_a_copy_made_by_a_request_that_lost_the_race_is_removed(
        self, auth_client, upload, assert_storage_consistent
    ):
        from images import shares
        from images.models import Image

        image = upload(_exif_jpeg())
        stale = Image.objects.get(pk=image["id"])  # read before another request stored a copy
        winner = shares.share_original_stripped_key(image=Image.objects.get(pk=image["id"]))
        loser = shares.share_original_stripped_key(image=stale)

        assert loser == winner == Image.objects.get(pk=image["id"]).stripped_key
        assert_storage_consistent()  # the loser's own copy is gone, nothing orphaned

    def test_the_stored_copy_goes_with_the_image(
        self,
        auth_client,
        upload,
        visitor,
        assert_storage_consistent,
        django_capture_on_commit_callbacks,
    ):
        from images.models import Image

        image = upload(_exif_jpeg())
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        assert visitor.get(_path(item["urls"]["original"])).status_code == HTTPStatus.OK
        assert Image.objects.get(pk=image["id"]).stripped_key
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(
                reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
            )
        assert response.status_code == HTTPStatus.NO_CONTENT
        assert_storage_consistent()

    def test_the_stored_copy_does_not_count_against_the_quota(self, auth_client, upload, visitor):
        image = upload(_exif_jpeg())
        before = auth_client.get(reverse("users-me")).json()
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        assert visitor.get(_path(item["urls"]["original"])).status_code == HTTPStatus.OK
        assert auth_client.get(reverse("users-me")).json() == before


class TestWhatTheListingReports:
    """#18.11: a link's listing reports only what the link serves."""

    def test_no_size_where_the_link_does_not_serve_the_original_as_stored(
        self, auth_client, upload, visitor
    ):
        image = upload(_exif_jpeg())
        for options in ({}, {"allow_original": True}, {"show_metadata": True}):
            share = _share(auth_client, image_ids=[image["id"]], **options)
            [item] = visitor.get(_path(share["api_url"])).json()["results"]
            assert "size" not in item, options
        share = _share(
            auth_client, image_ids=[image["id"]], allow_original=True, show_metadata=True
        )
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        served = _content(visitor.get(_path(item["urls"]["original"])))
        assert item["size"] == image["size"] == len(served)


class TestDownloadNames:
    """#18.25: downloads are named after the image, for a link's visitors and the owner."""

    def _disposition(self, response) -> str:
        assert response.status_code == HTTPStatus.OK
        return response["Content-Disposition"]

    def test_a_links_original_is_named_by_its_title(self, auth_client, upload, visitor):
        image = upload(_exif_jpeg(), name="IMG_0001.jpg", title="Harbour at dusk")
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        disposition = self._disposition(visitor.get(_path(item["urls"]["original"])))
        assert 'filename="Harbour at dusk.jpg"' in disposition
        assert "filename*=UTF-8''Harbour%20at%20dusk.jpg" in disposition
        assert image["id"] not in disposition and "IMG_0001" not in disposition
        processed = self._disposition(visitor.get(_path(item["urls"]["processed"])))
        assert 'filename="Harbour at dusk-none.jpg"' in processed

    def test_an_untitled_images_link_download_never_names_the_upload(
        self, auth_client, upload, visitor
    ):
        image = upload(name="alice-passport.jpg")
        share = _share(auth_client, image_ids=[image["id"]], allow_original=True)
        [item] = visitor.get(_path(share["api_url"])).json()["results"]
        disposition = self._disposition(visitor.get(_path(item["urls"]["original"])))
        assert "alice" not in disposition and image["id"] not in disposition
        assert 'filename="photo.jpg"' in disposition

    def test_the_owner_downloads_under_the_title_or_the_upload_name(self, auth_client, upload):
        titled = upload(name="IMG_0001.jpg", title='Quay / "night"\u202e')
        untitled = upload(name="IMG_0002.jpg")
        url = reverse("image-original", kwargs={"pk": titled["id"]})
        disposition = self._disposition(auth_client.get(url))
        assert disposition == (
            "inline; filename=\"Quay night.jpg\"; filename*=UTF-8''Quay%20night.jpg"
        )
        url = reverse("image-original", kwargs={"pk": untitled["id"]})
        assert 'filename="IMG_0002.jpg"' in self._disposition(auth_client.get(url))

    def test_a_non_ascii_title_has_an_ascii_fallback_and_a_utf8_name(
        self, auth_client, upload, visitor
    ):
        image = upload(title="Ærø at dawn")
        url = reverse("image-original", kwargs={"pk": image["id"]})
        disposition = self._disposition(auth_client.get(url))
        assert disposition.startswith("inline; ")
        fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
        assert fallback.isascii() and fallback.endswith(".jpg")
        assert "filename*=UTF-8''%C3%86r%C3%B8%20at%20dawn.jpg" in disposition


class TestSchemaSaysWhatSharesTake:
    def test_create_takes_exactly_one_of_album_and_image_ids(self, api_client):
        schema = api_client.get(reverse("schema"), {"format": "json"}).json()
        body = schema["paths"]["/api/v1/shares/"]["post"]["requestBody"]["content"]
        ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        components = schema["components"]["schemas"]
        shapes = [components[b["$ref"].rsplit("/", 1)[1]] for b in components[ref]["oneOf"]]
        assert sorted(tuple(shape["required"]) for shape in shapes) == [("album",), ("image_ids",)]
        for shape in shapes:
            # Each refuses what it does not name, so a body with both fits neither.
            assert shape["additionalProperties"] is False
            assert len({"album", "image_ids"} & set(shape["properties"])) == 1
