"""Uploading: accepted formats, every rejected input, and that failures leave nothing behind."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes


def _post(client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg", **extra):
    payload = {"file": SimpleUploadedFile(name, data, content_type=content_type), **extra}
    return client.post(reverse("image-list"), payload, format="multipart")


class TestImageUpload:
    @pytest.mark.parametrize(
        ("fmt", "mode", "expected"),
        [
            ("JPEG", "RGB", "JPEG"),
            ("PNG", "RGB", "PNG"),
            ("PNG", "RGBA", "PNG"),
            ("WEBP", "RGB", "WEBP"),
            ("GIF", "RGB", "GIF"),
        ],
    )
    @pytest.mark.inprocess_render
    def test_accepted_formats_are_stored_with_metadata(
        self, auth_client, user, fmt, mode, expected, assert_storage_consistent
    ):
        data = image_bytes(fmt, size=(120, 80), mode=mode)
        response = _post(auth_client, data, name=f"pic.{fmt.lower()}", style="sepia", title="t")

        assert response.status_code == HTTPStatus.CREATED, response.content
        body = response.json()
        assert body["format"] == expected
        assert (body["width"], body["height"]) == (120, 80)
        assert body["size"] == len(data)
        assert body["status"] == "ready"
        assert body["style"] == "sepia"
        assert body["owner"] == str(user.pk)
        assert response["Location"].endswith(reverse("image-detail", kwargs={"pk": body["id"]}))
        assert set(body["urls"]) == {"processed", "preview", "thumbnail", "expires_at"}
        assert body["urls"]["thumbnail"].startswith("http://testserver/")
        assert Image.objects.filter(pk=body["id"], owner=user).exists()
        assert_storage_consistent()
        # Every file's Content-Type is the format of its bytes (#10.2), whatever the host's
        # /etc/mime.types says.
        for rendition in ("original", "processed", "thumbnail"):
            file = auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": body["id"]}))
            data = b"".join(file.streaming_content)
            sniffed = PILImage.open(io.BytesIO(data)).format
            assert file["Content-Type"] == f"image/{sniffed.lower()}", rendition
            if rendition == "original":
                assert sniffed == expected

    def test_checksum_is_sha256_of_the_original(self, upload):
        import hashlib

        data = image_bytes()
        body = upload(data)
        assert body["checksum"] == hashlib.sha256(data).hexdigest()

    def test_format_comes_from_bytes_not_extension_or_content_type(self, auth_client):
        response = _post(
            auth_client, image_bytes("PNG"), name="photo.gif", content_type="image/gif"
        )
        assert response.status_code == HTTPStatus.CREATED
        assert response.json()["format"] == "PNG"

    def test_owner_in_the_request_body_is_refused(self, auth_client, user, other_user, media_root):
        # The owner comes only from the credentials; naming one is an error, not a choice.
        response = _post(auth_client, image_bytes(), owner=str(other_user.pk))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["code"] == "unknown_field"
        assert "owner" in response.json()
        assert not Image.objects.exists()
        assert not [p for p in media_root.rglob("*") if p.is_file()]

    def test_original_filename_is_sanitized_for_display(self, auth_client):
        response = _post(auth_client, image_bytes(), name="..\\..\\evil\u202egpj.png")
        assert response.status_code == HTTPStatus.CREATED
        name = response.json()["original_filename"]
        assert "/" not in name and "\\" not in name and "\u202e" not in name

    def test_animated_gif_keeps_its_first_frame(self, auth_client):
        frames = [PILImage.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 0, 255))]
        buffer = io.BytesIO()
        frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
        response = _post(auth_client, buffer.getvalue(), name="a.gif")
        assert response.status_code == HTTPStatus.CREATED
        processed = auth_client.get(
            reverse("image-processed", kwargs={"pk": response.json()["id"]})
        )
        red, _green, blue = PILImage.open(
            io.BytesIO(b"".join(processed.streaming_content))
        ).getpixel((20, 15))
        assert red > 200 and blue < 60


class TestUploadRejections:
    """Every refused upload answers 4xx with a JSON error, and leaves no row and no file."""

    @pytest.fixture(autouse=True)
    def _nothing_left(self, media_root, db):
        yield
        assert Image.objects.count() == 0
        assert [p for p in media_root.rglob("*") if p.is_file()] == []

    @pytest.mark.parametrize(
        ("data", "name", "content_type"),
        [
            (
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "x.svg",
                "image/svg+xml",
            ),
            (b"<html><body><script>alert(1)</script></body></html>", "x.png", "image/png"),
            (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "x.pdf", "application/pdf"),
            (b"just some text, not an image at all", "x.jpg", "image/jpeg"),
            (image_bytes("BMP"), "x.bmp", "image/bmp"),
            (image_bytes("TIFF"), "x.tiff", "image/tiff"),
        ],
        ids=["svg", "html-as-png", "pdf", "text", "bmp", "tiff"],
    )
    def test_non_images_and_other_formats_are_rejected(self, auth_client, data, name, content_type):
        response = _post(auth_client, data, name=name, content_type=content_type)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "JPEG, PNG, WebP or GIF" in response.json()["file"][0]

    def test_empty_file_is_rejected(self, auth_client):
        response = _post(auth_client, b"")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "empty" in response.json()["file"][0]

    def test_missing_file_is_rejected(self, auth_client):
        response = auth_client.post(reverse("image-list"), {"style": "none"}, format="multipart")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "file" in response.json()

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
    def test_truncated_image_is_rejected(self, auth_client, fmt):
        data = image_bytes(fmt, size=(300, 200))
        response = _post(auth_client, data[: len(data) // 2])
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["file"]

    def test_corrupt_jpeg_body_is_rejected(self, auth_client):
        data = bytearray(image_bytes("JPEG", size=(300, 200)))
        data[400:900] = b"\xff" * 500
        data = bytes(data[:-2])
        response = _post(auth_client, data)
        assert response.status_code == HTTPStatus.BAD_REQUEST

    def test_unknown_style_lists_the_valid_ones(self, auth_client):
        response = _post(auth_client, image_bytes(), style="vaporwave")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        message = response.json()["style"][0]
        assert "vaporwave" in message and "sepia" in message and "pencil_sketch" in message

    def test_over_the_byte_limit_is_413(self, auth_client, settings):
        settings.ATELIER = {**settings.ATELIER, "MAX_UPLOAD_BYTES": 1000}
        response = _post(auth_client, image_bytes("PNG", size=(200, 200), noisy=True))
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        body = response.json()
        assert body["code"] == "file_too_large" and body["max_bytes"] == 1000

    def test_declared_content_length_over_limit_is_refused_before_reading(self, auth_client):
        response = auth_client.generic(
            "POST",
            reverse("image-list"),
            b"",
            content_type="multipart/form-data; boundary=xyz",
            CONTENT_LENGTH=str(4 * 1024**3),  # over the larger of the photo and video limits
        )
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        assert response.json()["code"] == "file_too_large"

    def test_over_the_pixel_limit_is_rejected_from_the_header(self, auth_client, settings):
        settings.ATELIER = {**settings.ATELIER, "MAX_PIXELS": 100 * 100}
        response = _post(auth_client, image_bytes("PNG", size=(101, 100)))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "pixels" in response.json()["file"][0]

    def test_anonymous_upload_is_401(self, api_client):
        response = _post(api_client, image_bytes())
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["detail"]
