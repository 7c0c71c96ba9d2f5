"""Grid tiles at the right size (#21.5): ``srcset``/``sizes``, the ThumbHash placeholder, the
video badge; ``web.present.tile_media`` alone, then a share's page through HTTP."""

import base64
import io
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from imaging import thumbhash
from tests.factories import image_bytes
from tests.web.test_pages import assert_strict_page, parse
from web.present import duration_text, placeholder_uri, tile_media

A_HASH = thumbhash.thumbhash_to_text(
    thumbhash.thumbhash_encode(PILImage.new("RGB", (40, 30), (200, 80, 40)))
)


def _body(width: int, height: int, **extra: object) -> dict:
    return {
        "width": width,
        "height": height,
        "urls": {"thumbnail": "/t", "preview": "/p", "processed": "/f"},
        "placeholder": A_HASH,
        **extra,
    }


class TestTileMedia:
    def test_a_photo_offers_thumbnail_and_preview_by_width(self):
        media = tile_media(_body(4000, 3000))
        assert media["srcset"] == "/t 640w, /p 1440w"
        # The tile's width at the tallest row: 168 CSS px on a phone, 238 elsewhere.
        assert media["sizes"] == "(max-width: 640px) 224px, 317px"

    def test_a_phone_at_2x_fits_the_thumbnail(self):
        # What srcset makes a 375 px phone at 2x fetch: the smallest candidate at least
        # as wide as the tile's device pixels.
        for width, height in ((4000, 3000), (3000, 4000), (4000, 2250), (3000, 3000)):
            media = tile_media(_body(width, height))
            slot = int(media["sizes"].split()[2].removesuffix("px,")) * 2
            widths = [int(c.split()[1].removesuffix("w")) for c in media["srcset"].split(", ")]
            assert min(w for w in widths if w >= slot) == widths[0], (width, height)

    def test_a_picture_no_larger_than_its_thumbnail_has_no_srcset(self):
        assert tile_media(_body(400, 300))["srcset"] == ""

    def test_the_placeholder_is_a_small_png_of_the_hash(self):
        uri = tile_media(_body(40, 30))["placeholder"]
        assert uri.startswith("data:image/png;base64,")
        picture = PILImage.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert picture.size == (8, 6) and picture.mode == "RGB"
        r, g, b = picture.getpixel((4, 3))
        assert r > g > b  # the orange it stands for

    def test_no_or_broken_placeholder_paints_nothing(self):
        assert placeholder_uri("") == ""
        assert placeholder_uri("not base64!") == ""
        assert placeholder_uri("AAgC") == ""

    def test_a_video_says_so_with_its_duration(self):
        media = tile_media(_body(1920, 1080, kind="video", duration=62.4))
        assert (media["video"], media["duration"]) == (True, "1:02")
        assert media["duration_words"] == "1 minute 2 seconds"
        assert tile_media(_body(40, 30, kind="photo"))["video"] is False

    @pytest.mark.parametrize(
        ("seconds", "shown"), [(0, "0:00"), (9.6, "0:10"), (725, "12:05"), (3723, "1:02:03")]
    )
    def test_durations_read_as_players_show_them(self, seconds, shown):
        assert duration_text(seconds) == shown


@pytest.mark.django_db
class TestSharePageTiles:
    def test_tiles_have_srcset_and_placeholder(self, auth_client, upload):
        photo = upload(image_bytes(size=(1500, 1000)), name="wide.jpg", title="Wide")
        small = upload(image_bytes(size=(64, 48)), name="small.jpg", title="Small")
        share = auth_client.post(
            reverse("share-list"), {"image_ids": [photo["id"], small["id"]]}, format="json"
        ).json()

        response = Client().get(reverse("share", kwargs={"token": share["token"]}))

        assert response.status_code == HTTPStatus.OK
        assert_strict_page(response)
        images = parse(response).images
        [wide] = [img for img in images if img.get("alt") == "Wide"]
        candidates = wide["srcset"].split(", ")
        assert [c.split()[1] for c in candidates] == ["720w", "1440w"]
        assert "/thumbnail/" in candidates[0] and "/preview/" in candidates[1]
        assert wide["sizes"] == "(max-width: 640px) 252px, 357px"
        placeholders = [img for img in images if img.get("class") == "ph"]
        assert len(placeholders) == 2
        assert all(img["src"].startswith("data:image/png;base64,") for img in placeholders)
        assert all(img["alt"] == "" for img in placeholders)
        [small_tile] = [img for img in images if img.get("alt") == "Small"]
        assert "srcset" not in small_tile
        # Each candidate is served to the visitor, as AVIF to a browser.
        for candidate in candidates:
            served = Client().get(candidate.split()[0], HTTP_ACCEPT="image/avif,image/webp,*/*")
            assert served.status_code == HTTPStatus.OK
            assert served["Content-Type"] == "image/avif"


class TestVideoTile:
    def test_a_video_tile_shows_a_play_badge_and_its_duration(self):
        # The grid's tile as the owner's gallery renders it (a video's row from the video
        # render: ``kind`` and ``duration``).
        tile = {
            **_body(1920, 1080, kind="video", duration=42.4),
            "id": "00000000-0000-4000-8000-000000000001",
            "thumbnail": "/t",
            "preview": "/p",
            "alt": "Clip",
            "url": "/i/1",
            "ratio": "k29",
            "status": "ready",
        }
        del tile["urls"]

        html = render_to_string("web/_tile.html", {"image": tile})

        assert html.count('class="tile-video"') == 1
        assert '<span aria-hidden="true">▶ 0:42</span>' in html
        assert '<span class="vh">Video, 42 seconds</span>' in html
        assert 'srcset="/t 853w, /p 1440w"' in html
        assert 'class="ph" src="data:image/png;base64,' in html
        photo = render_to_string("web/_tile.html", {"image": {**tile, "kind": "photo"}})
        assert "tile-video" not in photo
