"""Delivering rendition bytes: headers, caching, metadata stripping and upright orientation."""

import io
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def _jpeg_with_gps_and_orientation_6() -> bytes:
    """A 60×40 (stored) JPEG whose EXIF says: rotate 90° clockwise to view; with GPS."""
    image = PILImage.new("RGB", (60, 40), (255, 255, 255))
    # A red block at the stored image's top-left: after orientation 6 it is top-right.
    for x in range(20):
        for y in range(10):
            image.putpixel((x, y), (255, 0, 0))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "AtelierCam"
    gps = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.0),
    }
    exif[ExifTags.IFD.GPSInfo] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


class TestRenditionHeaders:
    @pytest.mark.parametrize("rendition", ["original", "processed", "thumbnail"])
    def test_headers_are_safe_and_private(self, auth_client, upload, rendition):
        image = upload(image_bytes(), name='we"ird name.jpg')
        response = auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")
        assert response["ETag"].startswith('"')
        disposition = response["Content-Disposition"]
        assert disposition.startswith("inline; filename=")
        assert '"we' not in disposition.split("filename=", 1)[1][1:-1]

    def test_png_with_alpha_is_served_as_png_with_alpha(self, auth_client, upload):
        image = upload(image_bytes("PNG", mode="RGBA"), name="a.png", style="sepia")
        for rendition in ("processed", "thumbnail"):
            response = auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
            assert response["Content-Type"] == "image/png"
            assert PILImage.open(io.BytesIO(_bytes(response))).mode in ("RGBA", "LA")

    def test_if_none_match_gives_304(self, auth_client, upload):
        image = upload()
        url = reverse("image-thumbnail", kwargs={"pk": image["id"]})
        first = auth_client.get(url)
        second = auth_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert second.status_code == HTTPStatus.NOT_MODIFIED
        assert second["ETag"] == first["ETag"]
        assert second.content == b""

    def test_stale_etag_gets_the_bytes(self, auth_client, upload):
        image = upload()
        url = reverse("image-thumbnail", kwargs={"pk": image["id"]})
        response = auth_client.get(url, HTTP_IF_NONE_MATCH='"stale"')
        assert response.status_code == HTTPStatus.OK
        assert _bytes(response)[:2] == b"\xff\xd8"

    def test_restyle_changes_the_processed_etag(self, auth_client, upload):
        image = upload(style="none")
        url = reverse("image-processed", kwargs={"pk": image["id"]})
        before = auth_client.get(url)["ETag"]
        auth_client.patch(reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"})
        assert auth_client.get(url)["ETag"] != before


class TestMetadataAndOrientation:
    def test_processed_and_thumbnail_are_upright_and_carry_no_exif(self, auth_client, upload):
        data = _jpeg_with_gps_and_orientation_6()
        image = upload(data, name="gps.jpg")
        # The stored image is 60×40; shown upright it is 40×60, and that is what is listed.
        assert (image["width"], image["height"]) == (40, 60)
        for rendition in ("processed", "thumbnail"):
            response = auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": image["id"]}))
            raw = _bytes(response)
            served = PILImage.open(io.BytesIO(raw))
            assert served.size == (40, 60)
            red, green, blue = served.convert("RGB").getpixel((served.width - 3, 3))
            assert red > 200 and green < 80 and blue < 80, "red block must end up top-right"
            assert not served.getexif()
            assert "exif" not in served.info and "xmp" not in served.info
            assert b"Exif" not in raw and b"AtelierCam" not in raw

    def test_original_is_byte_identical(self, auth_client, upload):
        data = _jpeg_with_gps_and_orientation_6()
        image = upload(data, name="gps.jpg")
        response = auth_client.get(reverse("image-original", kwargs={"pk": image["id"]}))
        assert _bytes(response) == data

    def test_processed_long_edge_is_capped(self, auth_client, upload, settings):
        settings.ATELIER = {**settings.ATELIER, "PROCESSED_MAX_EDGE": 100, "THUMBNAIL_EDGE": 30}
        image = upload(image_bytes(size=(400, 200)))
        processed = PILImage.open(
            io.BytesIO(
                _bytes(auth_client.get(reverse("image-processed", kwargs={"pk": image["id"]})))
            )
        )
        thumbnail = PILImage.open(
            io.BytesIO(
                _bytes(auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]})))
            )
        )
        assert processed.size == (100, 50)
        assert thumbnail.size == (60, 30)  # its short edge is THUMBNAIL_EDGE


class TestPreview:
    """#18.23: ``preview/`` sits beside ``processed/`` and ``thumbnail/``, with their rules."""

    def test_urls_give_a_signed_preview_that_needs_no_token(self, api_client, upload):
        image = upload(image_bytes(size=(300, 200)))
        preview = urlsplit(image["urls"]["preview"])
        assert preview.path == reverse("image-preview", kwargs={"pk": image["id"]})
        response = api_client.get(f"{preview.path}?{preview.query}")
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/jpeg"
        assert PILImage.open(io.BytesIO(_bytes(response))).size == (300, 200)

    def test_the_stored_preview_is_served_where_there_is_one(self, auth_client, upload):
        image = upload(image_bytes(size=(300, 200)))
        stored = Image.objects.get(pk=image["id"])
        small = io.BytesIO()
        PILImage.new("RGB", (30, 20), (1, 2, 3)).save(small, "PNG")
        key = default_storage.save(f"{stored.owner_id}/{stored.pk}/preview-test.png", small)
        Image.objects.filter(pk=stored.pk).update(preview_key=key)
        response = auth_client.get(reverse("image-preview", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/png"
        assert PILImage.open(io.BytesIO(_bytes(response))).size == (30, 20)

    def test_without_a_stored_preview_it_is_the_processed_rendition(self, auth_client, upload):
        image = upload(image_bytes(size=(300, 200)))
        Image.objects.filter(pk=image["id"]).update(preview_key="")
        preview = auth_client.get(reverse("image-preview", kwargs={"pk": image["id"]}))
        processed = auth_client.get(reverse("image-processed", kwargs={"pk": image["id"]}))
        assert preview.status_code == HTTPStatus.OK
        assert _bytes(preview) == _bytes(processed)
        again = auth_client.get(
            reverse("image-preview", kwargs={"pk": image["id"]}),
            HTTP_IF_NONE_MATCH=preview["ETag"],
        )
        assert again.status_code == HTTPStatus.NOT_MODIFIED
        body = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()
        assert "preview" in body["urls"]

    def test_an_accept_that_excludes_it_is_a_406(self, auth_client, upload):
        image = upload()
        response = auth_client.get(
            reverse("image-preview", kwargs={"pk": image["id"]}), HTTP_ACCEPT="image/png"
        )
        assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
        assert response.json()["code"] == "not_acceptable"

    def test_before_the_first_render_it_is_a_409_not_ready(self, auth_client, upload, monkeypatch):
        from images import rendering

        monkeypatch.setattr(rendering, "render_dispatch", lambda **kwargs: None)
        image = upload()
        assert image["status"] == "pending" and "preview" not in image["urls"]
        response = auth_client.get(reverse("image-preview", kwargs={"pk": image["id"]}))
        assert response.status_code == HTTPStatus.CONFLICT
        assert response.json()["code"] == "not_ready" and response["Retry-After"]
