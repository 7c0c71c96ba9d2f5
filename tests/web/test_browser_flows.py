"""A person's whole way through the web app, in Chromium, as issue #14 tells it.

Sign up, drop three pictures on the upload page and watch each one's progress bar, see them
in the grid, open one, restyle it, favourite it, put it in an album, trash and restore it,
share the album behind a password, and open the link in a second, anonymous browser: the
password prompt first, then the pictures. Every control is found by its accessible name, as a
person using a screen reader would find it.
"""

import re
from http import HTTPStatus

import pytest
from playwright.sync_api import Page, expect

from images.models import Image
from tests.factories import image_bytes
from tests.web.conftest import Visitor, drop_files, sample_photo, screenshot

pytestmark = pytest.mark.browser

NEW_USERNAME = "grace"
NEW_PASSWORD = "an-easel-by-the-window-7"
SHARE_PASSWORD = "tea at five"
ALBUM_TITLE = "Harbours"
TITLE = "Harbour at dusk"
# Slow enough that each file's bar is seen between empty and full: bytes per second for all
# uploads together (three of ~70 kB take about two seconds).
UPLOAD_THROUGHPUT = 100_000

# Records every value each upload's <progress> is given, by its accessible name.
PROGRESS_RECORDER = """() => {
  window.__progress = {};
  new MutationObserver((records) => {
    for (const record of records) {
      const bar = record.target;
      if (bar.tagName !== "PROGRESS") continue;
      const name = bar.getAttribute("aria-label");
      (window.__progress[name] ||= []).push([bar.value, bar.max]);
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["value"] });
}"""


def files_to_drop() -> list[tuple[str, bytes, str]]:
    """Three pictures that do not compress to nothing, so their bytes take a while to send."""
    return [
        (f"harbour-{index}.jpg", image_bytes(size=(400 + index, 300), noisy=True), "image/jpeg")
        for index in range(3)
    ]


def sign_up(page: Page, visitor: Visitor) -> None:
    visitor.open("signup", page=page)
    page.get_by_label("Username").fill(NEW_USERNAME)
    page.get_by_label("Email").fill(f"{NEW_USERNAME}@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(visitor.site.url("upload"))
    expect(page.get_by_role("heading", name="Upload pictures")).to_be_visible()


def drop_and_watch_progress(page: Page, files: list[tuple[str, bytes, str]]) -> dict:
    """Drops the files on the upload page with the network slowed; returns each bar's values."""
    page.evaluate(PROGRESS_RECORDER)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_THROUGHPUT,
        },
    )
    drop_files(page.get_by_text("or drop them here"), files)
    uploads = page.get_by_role("region", name="Uploads")
    for name, _data, _type in files:
        bar = uploads.get_by_role("progressbar", name=f"Uploading {name}")
        expect(bar).to_be_visible()
    for name, _data, _type in files:
        row = uploads.get_by_role("listitem").filter(has_text=name)
        expect(row.get_by_role("link", name="Uploaded")).to_be_visible(timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    cdp.detach()
    return page.evaluate("window.__progress")


def open_picture(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def image_titled(title: str) -> Image:
    return Image.objects.get(title=title)


class TestTheWholeWay:
    def test_sign_up_upload_organise_and_share_with_a_password(self, visitor):
        person = visitor("newcomer")
        page = person.page
        sign_up(page, person)

        # Upload: three files dropped at once, each with its own bar that fills as bytes go.
        files = files_to_drop()
        progress = drop_and_watch_progress(page, files)
        for name, _data, _type in files:
            values = progress.get(f"Uploading {name}", [])
            assert any(0 < value < top for value, top in values), (name, values)
            assert values and values[-1][0] == values[-1][1], (name, values)
        screenshot(page, "upload-done")

        # The grid: all three, each thumbnail loaded.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
        expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
        grid = page.get_by_role("list").filter(has=page.get_by_role("img", name=files[0][0]))
        for name, _data, _type in files:
            thumbnail = grid.get_by_role("img", name=name, exact=True)
            expect(thumbnail).to_be_visible()
            expect(thumbnail).to_have_js_property("complete", True)
            assert thumbnail.evaluate("img => img.naturalWidth") > 0, name

        # One picture: a title, a new style, a favourite, an album.
        open_picture(page, files[1][0])
        page.get_by_role("textbox", name="Picture title").fill(TITLE)
        page.get_by_role("button", name="Save title").click()
        expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        picked = TITLE
        page.locator("summary", has_text="Style").click()  # folded away by default
        page.get_by_role("radio", name=re.compile(r"^Sepia")).check()
        with page.expect_navigation():  # the page reloads once the API has the new style
            page.get_by_role("button", name="Apply style").click()
        expect(page.locator("summary", has_text="Style")).to_contain_text("Sepia")
        assert image_titled(picked).style == "sepia"
        processed = page.get_by_role("img", name=picked, exact=True)
        expect(processed).to_have_js_property("complete", True)
        assert processed.evaluate("img => img.naturalWidth") > 0

        favourite = page.get_by_role("button", name="Favourite")
        expect(favourite).to_have_attribute("aria-pressed", "false")
        favourite.click()
        expect(page.get_by_role("button", name="Favourite")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert image_titled(picked).is_favorite

        page.get_by_role("link", name="Albums").click()
        page.get_by_label("Title").fill(ALBUM_TITLE)
        page.get_by_role("button", name="Create album").click()
        expect(page.get_by_role("heading", name=ALBUM_TITLE, level=1)).to_be_visible()
        page.get_by_role("link", name="Gallery").click()
        open_picture(page, picked)
        page.get_by_label("Add to album").select_option(label=ALBUM_TITLE)
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_role("link", name=ALBUM_TITLE)).to_be_visible()
        expect(page.get_by_role("button", name=f"Remove from {ALBUM_TITLE}")).to_be_visible()

        # Trash, then restore.
        page.get_by_role("button", name="Move to trash").click()
        expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
        expect(page.get_by_role("img", name=picked, exact=True)).to_have_count(0)
        page.get_by_role("link", name="Trash").click()
        page.get_by_role("button", name=f"Restore {picked}").click()
        expect(page.get_by_role("button", name=f"Restore {picked}")).to_have_count(0)
        page.get_by_role("link", name="Gallery").click()
        expect(page.get_by_role("img", name=picked, exact=True)).to_be_visible()

        # Share the album behind a password.
        page.get_by_role("link", name="Albums").click()
        page.get_by_role("link", name=ALBUM_TITLE).click()
        expect(page.get_by_role("img", name=picked, exact=True)).to_be_visible()
        page.get_by_text("Share album").click()
        page.get_by_label("Password").fill(SHARE_PASSWORD)
        page.get_by_role("button", name="Create link").click()
        expect(page.get_by_role("heading", name="Shared links")).to_be_visible()
        link = page.get_by_role("textbox", name="Link").input_value()
        assert link.startswith(person.site.base_url + "/s/"), link

        # A stranger with the link: the prompt, a wrong password refused, then the pictures.
        stranger = visitor("stranger with the link")
        shared = stranger.page
        stranger.open_url(link, page=shared)
        expect(shared.get_by_role("main").locator("img")).to_have_count(0)
        shared.get_by_label("Password").fill("coffee at six")
        with shared.expect_response(link) as refused:
            stranger.watch.expected_failures.add(link)
            shared.get_by_role("button", name="See the pictures").click()
        assert refused.value.status == HTTPStatus.UNAUTHORIZED
        expect(shared.get_by_role("alert")).to_contain_text("not the password")
        shared.get_by_label("Password").fill(SHARE_PASSWORD)
        shared.get_by_role("button", name="See the pictures").click()
        picture = shared.get_by_role("img", name=picked, exact=True)
        expect(picture).to_be_visible()
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("img => img.naturalWidth") > 0
        for other, _data, _type in (files[0], files[2]):
            expect(shared.get_by_role("img", name=other, exact=True)).to_have_count(0)


# Before any script of the page: every layout shift, and where each tile of the grid stood
# when the HTML was parsed (before any thumbnail could have arrived).
LAYOUT_RECORDER = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({ type: "layout-shift", buffered: true });
document.addEventListener("DOMContentLoaded", () => {
  window.__parsedTiles = [...document.querySelectorAll("ul.grid > li")].map((tile) => {
    const box = tile.getBoundingClientRect();
    const img = tile.querySelector("img");
    return [box.x, box.y, box.width, box.height, img.complete && img.naturalWidth > 0];
  });
});
"""
TILE_BOXES = """() => [...document.querySelectorAll("ul.grid > li")].map((tile) => {
  const box = tile.getBoundingClientRect();
  return [box.x, box.y, box.width, box.height];
})"""


class TestGalleryLayout:
    def test_tiles_are_placed_from_width_and_height_before_thumbnails_load(self, owner, owner_api):
        for index in range(8):
            owner_api.post(
                "image-list",
                files={"file": (f"crop-{index}.jpg", sample_photo(index), "image/jpeg")},
                data={"title": f"Crop {index}"},
            )
        owner.context.add_init_script(LAYOUT_RECORDER)
        page = owner.open("home")
        for image in page.locator("ul.grid img").all():
            expect(image).to_have_js_property("complete", True)
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")

        parsed = page.evaluate("window.__parsedTiles")
        assert len(parsed) == 8
        assert not any(loaded for *_box, loaded in parsed), "thumbnails came before the HTML"
        # Within a pixel: a thumbnail's own size is its picture's, rounded to whole pixels.
        settled = page.evaluate(TILE_BOXES)
        for (*before, _loaded), after in zip(parsed, settled, strict=True):
            assert all(abs(a - b) < 1 for a, b in zip(before, after, strict=True)), (before, after)
        assert sum(page.evaluate("window.__shifts")) == 0


class TestImagePageKeyboard:
    def test_arrows_step_through_the_gallery_and_escape_returns_to_it(self, owner, owner_api):
        images = [owner_api.upload(index, title=f"Boat {index}") for index in range(3)]
        page = owner.open("image", image_id=images[1]["id"])
        expect(page.get_by_role("heading", name="Boat 1", level=1)).to_be_visible()

        # The gallery is newest first: right goes to the older picture, left to the newer.
        for key, title in [
            ("ArrowRight", "Boat 0"),
            ("ArrowLeft", "Boat 1"),
            ("ArrowLeft", "Boat 2"),
        ]:
            # The keys are the page's script's: wait for it, as a person's first look would.
            page.wait_for_load_state("load")
            page.keyboard.press(key)
            expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        page.wait_for_load_state("load")
        page.keyboard.press("Escape")
        expect(page).to_have_url(owner.site.url("home"))


class TestUploadFailures:
    def test_a_file_that_is_not_an_image_fails_alone(self, owner):
        page = owner.open("upload")
        # The API answers the bad file with a 400, which Chromium logs; the page says it in words.
        owner.watch.expected_failures.add(owner.site.url("image-list"))
        drop_files(
            page.get_by_text("or drop them here"),
            [
                ("notes.jpg", b"these are words, not pixels", "image/jpeg"),
                ("boat.jpg", image_bytes(), "image/jpeg"),
            ],
        )
        uploads = page.get_by_role("region", name="Uploads")
        failed = uploads.get_by_role("listitem").filter(has_text="notes.jpg")
        expect(failed.get_by_role("alert")).not_to_be_empty()
        done = uploads.get_by_role("listitem").filter(has_text="boat.jpg")
        expect(done.get_by_role("link", name="Uploaded")).to_be_visible()
        assert list(Image.objects.values_list("original_filename", flat=True)) == ["boat.jpg"]
