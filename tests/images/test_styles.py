"""Styles: each gives a valid image of the right size that differs from the original."""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageChops

from images.styles import STYLES, style_apply
from tests.factories import image_bytes

STYLED = [name for name in STYLES if name != "none"]


def _photo(mode: str = "RGB") -> PILImage.Image:
    return PILImage.open(io.BytesIO(image_bytes("PNG", size=(160, 120), mode=mode))).convert(mode)


class TestStyleRegistry:
    def test_has_at_least_twelve_styles_besides_none(self):
        assert len(STYLED) >= 12
        assert {
            "grayscale",
            "sepia",
            "pencil_sketch",
            "cartoon",
            "vintage",
            "blur",
            "sharpen",
            "emboss",
            "contour",
            "posterize",
            "invert",
            "solarize",
        } <= set(STYLED)

    @pytest.mark.parametrize("name", STYLED)
    def test_style_keeps_size_and_changes_pixels(self, name):
        original = _photo()
        styled = style_apply(original, name)
        assert styled.size == original.size
        diff = ImageChops.difference(original, styled.convert("RGB"))
        assert diff.getbbox() is not None, f"{name} left the image unchanged"

    @pytest.mark.parametrize("name", STYLED)
    def test_style_preserves_alpha(self, name):
        original = _photo("RGBA")
        alpha = PILImage.new("L", original.size, 0)
        alpha.paste(255, (0, 0, 80, 120))
        original.putalpha(alpha)
        styled = style_apply(original, name)
        assert styled.mode in ("RGBA", "LA")
        assert styled.getchannel("A").tobytes() == alpha.tobytes()

    def test_styles_are_distinguishable_from_each_other(self):
        original = _photo()
        renders = {name: style_apply(original, name).convert("RGB").tobytes() for name in STYLED}
        assert len(set(renders.values())) == len(STYLED)

    def test_none_keeps_the_original_look(self):
        original = _photo()
        assert style_apply(original, "none").tobytes() == original.tobytes()


class TestStyleListView:
    def test_lists_every_style_with_label_and_description(self, api_client):
        response = api_client.get(reverse("style-list"))
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert [s["name"] for s in body] == list(STYLES)
        assert all(s["label"] and s["description"] for s in body)


class TestUploadInEveryStyle:
    @pytest.mark.parametrize("name", STYLED)
    def test_processed_rendition_differs_from_unstyled(self, auth_client, upload, name):
        data = image_bytes(size=(96, 64))
        plain = upload(data, style="none")
        styled = upload(data, style=name)

        def pixels(image_id: str) -> PILImage.Image:
            url = reverse("image-processed", kwargs={"pk": image_id})
            raw = b"".join(auth_client.get(url).streaming_content)
            return PILImage.open(io.BytesIO(raw)).convert("RGB")

        a, b = pixels(plain["id"]), pixels(styled["id"])
        assert a.size == b.size == (96, 64)
        assert ImageChops.difference(a, b).getbbox() is not None
