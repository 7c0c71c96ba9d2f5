"""Delivering rendition bytes: headers, caching, metadata stripping and upright orientation."""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage

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
        assert thumbnail.size == (30, 15)
