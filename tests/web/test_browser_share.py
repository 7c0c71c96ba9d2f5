"""A share link's pages in Chromium, as a recipient meets them: the set, the viewer and its keys,
the download button's shape, the pages with no JavaScript at all, axe at 375 and 1280 px.

The visitors' contexts check requests, console errors and CSP violations at teardown
(``tests/web/conftest.py``); screenshots land in ``var/screenshots/share-*.png``.
"""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import VIEWPORT, ApiAs, Visitor, axe, sample_photo, screenshot
from tests.web.test_browser_a11y import FOCUSABLE, FOCUSED
from tests.web.test_share_pages import (
    ALBUM_DESCRIPTION,
    ALBUM_TITLE,
    SHARE_PASSWORD,
    camera_photo,
)

pytestmark = pytest.mark.browser

TITLES = ["Harbour at dusk", "Lighthouse", "Boats at rest"]


@pytest.fixture
def links(owner_api: ApiAs) -> dict:
    """Three pictures in an album (newest first: the last uploaded is the first shown), and
    links to it: open with originals and camera details, and locked with a password."""
    images = []
    for index, title in enumerate(TITLES):
        data = camera_photo((800, 600)) if index == 1 else sample_photo(index)
        files = {"file": (f"{index}.jpg", data, "image/jpeg")}
        images.append(owner_api.post("image-list", files=files, data={"title": title}))
    album = owner_api.post(
        "album-list", json={"title": ALBUM_TITLE, "description": ALBUM_DESCRIPTION}
    )
    owner_api.http.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        headers=owner_api.headers,
        json={"image_ids": [image["id"] for image in images]},
    )
    everything = {"album": album["id"], "allow_original": True, "show_metadata": True}
    return {
        "images": images,
        "open": owner_api.post("share-list", json=everything),
        "locked": owner_api.post(
            "share-list", json={"album": album["id"], "password": SHARE_PASSWORD}
        ),
        "plain": owner_api.post("share-list", json={"album": album["id"]}),
    }


def shown_order() -> list[str]:
    """The set's order: newest upload first."""
    return list(reversed(TITLES))


def viewer(visitor: Visitor, link: dict, image: dict, **options) -> Page:
    return visitor.open("share-image", token=link["token"], image_id=image["id"], **options)


def title_heading(page: Page, title: str):
    return page.get_by_role("heading", name=title, level=1)


# --- 16. The download button is a small round button, not a dark oval over the photo -------------


def test_the_download_button_is_small_and_round_and_the_tile_link_fills_the_tile(
    anonymous: Visitor, links
):
    page = anonymous.open("share", token=links["open"]["token"])
    tiles = page.locator("ul.grid > li")
    expect(tiles).to_have_count(3)
    for tile in tiles.all():
        download = tile.get_by_role("link", name="Download the original", exact=False)
        box = download.bounding_box()
        assert box is not None
        assert box["width"] == pytest.approx(32, abs=2), box
        assert box["height"] == pytest.approx(32, abs=2), box
        # In the tile's bottom right corner, clear of the picture's middle.
        tile_box = tile.bounding_box()
        assert tile_box is not None
        right = tile_box["x"] + tile_box["width"] - (box["x"] + box["width"])
        bottom = tile_box["y"] + tile_box["height"] - (box["y"] + box["height"])
        assert 0 <= right <= 8 and 0 <= bottom <= 8, (tile_box, box)
        # The picture's own link still covers the tile.
        link_box = tile.locator("a").first.bounding_box()
        assert link_box is not None
        assert link_box["height"] == pytest.approx(tile_box["height"], abs=1)
        assert link_box["width"] == pytest.approx(tile_box["width"], abs=1)


# --- 18. The viewer: a click, ←/→, Escape, zoom, download ---------------------------------------


def test_a_click_opens_the_viewer_and_the_keys_step_and_go_back(anonymous: Visitor, links):
    order = shown_order()
    page = anonymous.open("share", token=links["open"]["token"])
    page.get_by_role("img", name=order[0], exact=True).click()
    expect(title_heading(page, order[0])).to_be_visible()
    picture = page.get_by_role("main").get_by_role("img", name=order[0], exact=True)
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => img.naturalWidth") > 0
    # Drawn large: most of a 1280 × 800 window.
    box = picture.bounding_box()
    assert box is not None and box["height"] > 0.5 * VIEWPORT["height"], box

    for key, index in [("ArrowRight", 1), ("ArrowRight", 2), ("ArrowRight", 2), ("ArrowLeft", 1)]:
        page.wait_for_load_state("load")
        page.keyboard.press(key)
        expect(title_heading(page, order[index])).to_be_visible()
    page.wait_for_load_state("load")
    page.keyboard.press("Escape")
    expect(page).to_have_url(
        re.compile(re.escape(anonymous.site.url("share", token=links["open"]["token"])) + "#p-")
    )
    expect(page.get_by_role("heading", name=ALBUM_TITLE, level=1)).to_be_visible()


def test_a_click_on_the_picture_zooms_to_the_full_size_and_escape_leaves_the_zoom_first(
    anonymous: Visitor, links
):
    image = links["images"][1]
    page = viewer(anonymous, links["open"], image)
    picture = page.get_by_role("main").get_by_role("img", name=TITLES[1], exact=True)
    expect(picture).to_have_js_property("complete", True)
    assert "/processed/" not in picture.evaluate("img => img.currentSrc")
    picture.click()
    stage = page.locator("figure.share-stage")
    expect(stage).to_have_class(re.compile(r"\bzoomed\b"))
    # The full size, at its own pixels (the preview came through ``srcset``, scaled to fit).
    expect(picture).to_have_js_property("naturalWidth", 800)
    assert "/processed/" in picture.evaluate("img => img.currentSrc")
    page.keyboard.press("Escape")
    expect(stage).not_to_have_class(re.compile(r"\bzoomed\b"))
    expect(title_heading(page, TITLES[1])).to_be_visible()
    assert page.url.startswith(
        anonymous.site.url("share-image", token=links["open"]["token"], image_id=image["id"])
    )


def test_the_download_button_gives_the_original(anonymous: Visitor, links):
    page = viewer(anonymous, links["open"], links["images"][0])
    with page.expect_download() as download:
        page.get_by_role("link", name="Download original").click()
    assert download.value.failure() is None


def test_the_viewer_works_without_javascript(chromium: Browser, live_api, links):
    context = chromium.new_context(java_script_enabled=False, viewport=VIEWPORT)
    try:
        page = context.new_page()
        order = shown_order()
        response = page.goto(live_api.url("share", token=links["open"]["token"]))
        assert response is not None and response.status == HTTPStatus.OK
        page.get_by_role("img", name=order[0], exact=True).click()
        expect(title_heading(page, order[0])).to_be_visible()
        page.get_by_role("link", name="Next").click()
        expect(title_heading(page, order[1])).to_be_visible()
        page.get_by_role("link", name="Previous").click()
        expect(title_heading(page, order[0])).to_be_visible()
        page.get_by_role("link", name="All pictures").click()
        expect(page.get_by_role("heading", name=ALBUM_TITLE, level=1)).to_be_visible()
        # A locked link's viewer: the password, then the picture it was opened for.
        image = links["images"][0]
        page.goto(live_api.url("share-image", token=links["locked"]["token"], image_id=image["id"]))
        page.get_by_label("Password").fill(SHARE_PASSWORD)
        page.get_by_role("button", name="See the pictures").click()
        expect(title_heading(page, TITLES[0])).to_be_visible()
    finally:
        context.close()


# --- every share page: axe at both widths, screenshots -------------------------------------------


def share_set(visitors, links):
    page = visitors["anonymous"].open("share", token=links["open"]["token"])
    expect(page.get_by_role("img", name=TITLES[0], exact=True)).to_be_visible()
    return page


def share_viewer(visitors, links):
    page = viewer(visitors["anonymous"], links["open"], links["images"][1])
    expect(page.get_by_text("1/250 s")).to_be_visible()
    return page


def share_viewer_plain(visitors, links):
    return viewer(visitors["anonymous"], links["plain"], links["images"][0])


def share_viewer_locked(visitors, links):
    page = viewer(visitors["anonymous"], links["locked"], links["images"][0])
    expect(page.get_by_label("Password")).to_be_visible()
    return page


def share_viewer_missing(visitors, links):
    return visitors["anonymous"].open(
        "share-image",
        token=links["plain"]["token"],
        image_id="00000000-0000-4000-8000-000000000000",
        status=HTTPStatus.NOT_FOUND,
    )


def share_viewer_logged_in(visitors, links):
    page = viewer(visitors["owner"], links["open"], links["images"][2])
    expect(page.get_by_role("link", name="Your gallery")).to_be_visible()
    return page


SHARE_PAGES = {
    "share-set": share_set,
    "share-viewer": share_viewer,
    "share-viewer-plain": share_viewer_plain,
    "share-viewer-locked": share_viewer_locked,
    "share-viewer-missing": share_viewer_missing,
    "share-viewer-logged-in": share_viewer_logged_in,
}


@pytest.mark.parametrize("name", SHARE_PAGES)
def test_share_page_is_accessible_and_clean(name, owner: Visitor, anonymous: Visitor, links):
    page = SHARE_PAGES[name]({"owner": owner, "anonymous": anonymous}, links)
    page.wait_for_load_state("networkidle")
    axe(page)
    screenshot(page, name)
    page.set_viewport_size({"width": 375, "height": 740})
    axe(page)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the page scrolls sideways at 375 px"


@pytest.mark.parametrize("name", ["share-set", "share-viewer"])
def test_tab_reaches_every_control_of_a_share_page(name, owner: Visitor, anonymous: Visitor, links):
    page = SHARE_PAGES[name]({"owner": owner, "anonymous": anonymous}, links)
    wanted = page.evaluate(FOCUSABLE)
    reached: list[str] = []
    for _ in range(len(wanted) * 2 + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is not None and focused not in reached:
            reached.append(focused)
    missing = [control for control in wanted if control not in reached]
    assert not missing, f"Tab never reaches on {page.url}: {missing}"
