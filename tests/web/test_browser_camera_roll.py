"""A phone's camera roll through the web app, in Chromium (issue 21's "Done when").

HEIC, AVIF, JPEG, PNG, an MP4, a MOV and a Live Photo's two halves are dropped on the upload
page together, as a person would bring them from a phone. Then every one shows in the gallery
on a desktop and on a 375 px phone (each tile's picture decoded, videos marked), a video plays
on its page from its web-playable version, the Live Photo is one item that moves, and every
original comes back byte for byte.
"""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from images.models import Image
from tests.factories import image_bytes
from tests.heif_files import heif_bytes
from tests.live_factories import LIVE_ID, live_jpeg
from tests.live_factories import clip as live_clip
from tests.videos import clip
from tests.web.conftest import ApiAs, drop_files, picture
from tests.web.test_browser_flows import PHONE, renders_done

pytestmark = pytest.mark.browser

# (name, bytes, the type a phone's browser gives it): the picture a person will see, by name.
CAMERA_ROLL = [
    ("IMG_0001.HEIC", heif_bytes("HEIF", size=(640, 480)), "image/heic"),
    ("IMG_0002.AVIF", heif_bytes("AVIF", size=(480, 640)), "image/avif"),
    ("IMG_0003.JPG", picture(3), "image/jpeg"),
    ("Screenshot.PNG", image_bytes("PNG", size=(750, 1334), mode="RGBA"), "image/png"),
    ("VID_0004.MP4", clip("h264_aac.mp4"), "video/mp4"),
    ("IMG_0005.MOV", clip("hevc.mov"), "video/quicktime"),
    # A Live Photo: the still and its clip, one item in the gallery.
    ("IMG_0006.JPG", live_jpeg(), "image/jpeg"),
    ("IMG_0006.MOV", live_clip("mov", LIVE_ID), "video/quicktime"),
]
# The Live Photo's halves are one item.
ITEMS = len(CAMERA_ROLL) - 1
VIDEOS = ("VID_0004.MP4", "IMG_0005.MOV")

# Every tile's picture: whether it has loaded, and its decoded width (0 if it could not be).
TILE_PICTURES = """() => [
  ...document.querySelectorAll("ul.grid > li.tile a img:not(.ph)")
].map(
  (img) => ({ complete: img.complete, width: img.naturalWidth, src: img.currentSrc })
)"""


def upload_the_roll(page: Page) -> None:
    drop_files(page.get_by_text("or drop them here"), CAMERA_ROLL)
    uploads = page.get_by_role("region", name="Uploads")
    for name, _data, _type in CAMERA_ROLL:
        row = uploads.get_by_role("listitem").filter(has_text=name)
        expect(row.get_by_role("link", name="Uploaded")).to_be_visible(timeout=60_000)


def tiles_all_painted(page: Page) -> list[dict]:
    """Scrolls every tile into view (they load lazily), then reads their pictures."""
    tiles = page.locator("ul.grid > li.tile")
    expect(tiles).to_have_count(ITEMS)
    for index in range(ITEMS):
        picture = tiles.nth(index).locator("a img:not(.ph)")
        picture.scroll_into_view_if_needed()
        expect(picture).to_have_js_property("complete", True)
    return page.evaluate(TILE_PICTURES)


class TestACameraRoll:
    def test_a_phones_formats_go_in_show_in_the_gallery_and_come_out_whole(
        self, owner, owner_api: ApiAs
    ):
        page = owner.open("upload")
        upload_the_roll(page)
        renders_done()
        assert Image.objects.count() == ITEMS
        assert set(Image.objects.values_list("status", flat=True)) == {"ready"}

        for viewport in ({"width": 1280, "height": 800}, PHONE):
            page.set_viewport_size(viewport)
            page = owner.open("home")
            shown = tiles_all_painted(page)
            assert all(tile["width"] > 0 for tile in shown), shown
            expect(page.locator("ul.grid > li.tile .tile-video")).to_have_count(len(VIDEOS))

        # A video plays on its page from its web-playable version, its poster first.
        video_row = Image.objects.get(original_filename="VID_0004.MP4")
        page = owner.open("image", image_id=video_row.pk)
        player = page.locator("video")
        expect(player).to_have_count(1)
        expect(player).to_have_attribute("poster", re.compile(r"."))
        if player.evaluate("v => v.canPlayType('video/mp4; codecs=\"avc1.42E01E\"')"):
            expect(player).to_have_js_property("error", None)
            player.evaluate("v => { v.muted = true; return v.play().catch(() => null); }")
            expect(player).not_to_have_js_property("readyState", 0, timeout=30_000)

        # The Live Photo is one item, a photo with its motion part.
        live = Image.objects.get(live_photo_id=LIVE_ID)
        assert live.kind == "photo" and live.motion_key and live.motion_original_key

        # Every original comes back byte for byte, by the API, with its true type.
        by_name = {name: data for name, data, _type in CAMERA_ROLL}
        for row in Image.objects.all():
            response = owner_api.http.get(
                reverse("image-original", kwargs={"pk": row.pk}), headers=owner_api.headers
            )
            assert response.status_code == HTTPStatus.OK
            assert response.content == by_name[row.original_filename], row.original_filename

    def test_an_album_of_them_shows_in_its_page_and_through_its_link_on_a_phone(
        self, owner, anonymous, owner_api: ApiAs
    ):
        page = owner.open("upload")
        upload_the_roll(page)
        renders_done()
        album = owner_api.album(
            "Holiday", [{"id": str(pk)} for pk in Image.objects.values_list("pk", flat=True)]
        )
        share = owner_api.share(album)

        # The album's page, on a desktop: every tile paints, the videos are marked.
        page = owner.open("album", album_id=album["id"])
        assert all(tile["width"] > 0 for tile in tiles_all_painted(page))
        expect(page.locator("ul.grid > li.tile .tile-video")).to_have_count(len(VIDEOS))

        # The link, opened by someone with no account on a phone: the same, and a video plays
        # on its picture page from the link's own signed URL.
        anonymous.page.set_viewport_size(PHONE)
        page = anonymous.open("share", token=share["token"])
        assert all(tile["width"] > 0 for tile in tiles_all_painted(page))
        expect(page.locator("ul.grid > li.tile .tile-video")).to_have_count(len(VIDEOS))
        video_row = Image.objects.get(original_filename="VID_0004.MP4")
        page = anonymous.open("share-image", token=share["token"], image_id=video_row.pk)
        player = page.locator("video")
        expect(player).to_have_count(1)
        expect(player).to_have_attribute("src", re.compile("/video/"))
        expect(player).to_have_js_property("error", None)
