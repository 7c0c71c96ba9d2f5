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
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from images.models import Image
from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, RENDER_WAIT_SECONDS
from tests.factories import image_bytes
from tests.web.conftest import (
    ApiAs,
    Visitor,
    drop_files,
    picture,
    sample_photo,
    screenshot,
    session_cookie,
    thumbnails_seen,
)

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
    # The page's forms act through its deferred script, which has run by DOMContentLoaded; a
    # loaded machine (CI's PostgreSQL pass) showed the heading before it, and a title typed
    # then went nowhere.
    page.wait_for_load_state("domcontentloaded")


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
        page.wait_for_load_state("domcontentloaded")  # reloaded: its script runs first
        picked = TITLE
        page.locator("summary", has_text="Style").click()  # folded away by default
        page.get_by_role("radio", name=re.compile(r"^Sepia")).check()
        with page.expect_navigation():  # the page reloads once the API has the new style
            page.get_by_role("button", name="Apply style").click()
        page.wait_for_load_state("domcontentloaded")
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
        page.wait_for_load_state("domcontentloaded")  # reloaded: its script runs first

        page.get_by_role("link", name="Albums").click()
        expect(page.get_by_role("button", name="Create album")).to_be_visible()
        page.wait_for_load_state("domcontentloaded")
        page.get_by_label("Title").fill(ALBUM_TITLE)
        page.get_by_role("button", name="Create album").click()
        expect(page.get_by_role("heading", name=ALBUM_TITLE, level=1)).to_be_visible()
        page.get_by_role("link", name="Gallery").click()
        expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
        open_picture(page, picked)
        page.get_by_label("Add to album").select_option(label=ALBUM_TITLE)
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_role("link", name=ALBUM_TITLE)).to_be_visible()
        expect(page.get_by_role("button", name=f"Remove from {ALBUM_TITLE}")).to_be_visible()
        page.wait_for_load_state("domcontentloaded")  # reloaded: its script runs first

        # Trash, then restore.
        page.get_by_role("button", name="Move to trash").click()
        expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
        expect(page.get_by_role("img", name=picked, exact=True)).to_have_count(0)
        page.get_by_role("link", name="Trash").click()
        expect(page.get_by_role("button", name=f"Restore {picked}")).to_be_visible()
        page.wait_for_load_state("domcontentloaded")
        thumbnails_seen(page)
        page.get_by_role("button", name=f"Restore {picked}").click()
        expect(page.get_by_role("button", name=f"Restore {picked}")).to_have_count(0)
        page.get_by_role("link", name="Gallery").click()
        expect(page.get_by_role("img", name=picked, exact=True)).to_be_visible()

        # Share the album behind a password.
        page.get_by_role("link", name="Albums").click()
        page.get_by_role("link", name=ALBUM_TITLE).click()
        expect(page.get_by_role("img", name=picked, exact=True)).to_be_visible()
        page.wait_for_load_state("domcontentloaded")
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
  window.__parsedTiles = [...document.querySelectorAll("ul.grid > li.tile")].map((tile) => {
    const box = tile.getBoundingClientRect();
    const img = tile.querySelector("img");
    return [box.x, box.y, box.width, box.height, img.complete && img.naturalWidth > 0];
  });
});
"""
TILE_BOXES = """() => [...document.querySelectorAll("ul.grid > li.tile")].map((tile) => {
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
        page = owner.page
        # The pictures are held until the tiles have been measured, so "before the thumbnails
        # load" is what is measured however fast this machine serves them (a race before).
        held: list[Route] = []
        measured = False

        def hold_pictures(route: Route) -> None:
            if route.request.resource_type == "image" and not measured:
                held.append(route)
            else:
                route.continue_()

        page.route("**/*", hold_pictures)
        response = page.goto(owner.site.url("home"), wait_until="commit")
        assert response is not None and response.status == HTTPStatus.OK
        # The recorder measures on DOMContentLoaded, ahead of the page's own listeners (a
        # polled wait_for_function would need eval, which the page's CSP rightly refuses).
        page.wait_for_load_state("domcontentloaded")
        measured = True
        for route in held:
            route.continue_()
        page.wait_for_load_state("networkidle")
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


# --- issue 18: the gallery's proportions, a picture's context, phones, previews, undo ------------

# Every tile's box and its thumbnail's own size, by row (tiles with the same top).
TILE_SHAPES = """() => [...document.querySelectorAll("ul.grid > li.tile")].map((tile) => {
  const box = tile.querySelector("img").getBoundingClientRect();
  const img = tile.querySelector("img");
  return {
    name: img.alt, x: box.x, y: box.y, width: box.width, height: box.height,
    naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
  };
})"""
GRID_BOX = """() => {
  const box = document.querySelector("ul.grid").getBoundingClientRect();
  return { left: box.left, right: box.right };
}"""
# Shapes of a camera roll: landscape, portrait, square, wide, and a 8:1 panorama. Each is at
# least 480 px on its short edge, so its thumbnail is 480 px there (never upscaled).
SHAPES = [(1600, 1200), (1200, 1600), (1000, 1000), (1920, 1080), (6000, 750), (1500, 1000)]


def renders_done() -> None:
    """On the S3 stack, waits for its worker to render what the test uploaded (elsewhere an
    upload is rendered when it is answered)."""
    if ON_S3_STACK:
        renders_settle(timeout=RENDER_WAIT_SECONDS)


def upload_shapes(owner_api: ApiAs) -> None:
    for index, size in enumerate(SHAPES):
        owner_api.post(
            "image-list",
            files={"file": (f"shape-{index}.jpg", image_bytes(size=size), "image/jpeg")},
            data={"title": f"Shape {index} ({size[0]}×{size[1]})"},
        )
    renders_done()


# The pixel size of the file each picture shows (the srcset candidate the browser chose).
FILE_SIZES = """(images) => Promise.all(images.map((img) => new Promise((done) => {
  const file = new Image();
  file.onload = () => done([file.naturalWidth, file.naturalHeight]);
  file.onerror = () => done([0, 0]);
  file.src = img.currentSrc;
})))"""


def loaded_tiles(page: Page) -> list[dict]:
    for image in page.locator("ul.grid img").all():
        expect(image).to_have_js_property("complete", True)
    return page.evaluate(TILE_SHAPES)


def rows_of(tiles: list[dict]) -> list[list[dict]]:
    rows: list[list[dict]] = []
    for tile in tiles:
        if rows and abs(rows[-1][0]["y"] - tile["y"]) < 1:
            rows[-1].append(tile)
        else:
            rows.append([tile])
    return rows


class TestGalleryProportions:
    @pytest.mark.parametrize("width", [1280, 375])
    def test_tiles_keep_their_pictures_proportions_in_rows_that_fill_the_width(
        self, owner, owner_api, width
    ):
        upload_shapes(owner_api)
        owner.page.set_viewport_size({"width": width, "height": 800})
        page = owner.open("home")
        tiles = loaded_tiles(page)
        assert len(tiles) == len(SHAPES)
        for tile in tiles:
            drawn = tile["width"] / tile["height"]
            natural = tile["naturalWidth"] / tile["naturalHeight"]
            assert drawn == pytest.approx(natural, rel=0.015), tile
        grid = page.evaluate(GRID_BOX)
        rows = rows_of(tiles)
        row_height = page.evaluate(
            "parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row'))"
        )
        for row in rows:
            heights = [tile["height"] for tile in row]
            assert max(heights) - min(heights) < 1, row  # one height per row
            assert row[0]["x"] == pytest.approx(grid["left"], abs=1)
        for row in rows[:-1]:
            # Filled to the right edge, or grown as far as a row may (a lone picture before a
            # panorama): never wider than the grid.
            right = row[-1]["x"] + row[-1]["width"]
            assert right <= grid["right"] + 1, row
            assert right >= grid["right"] - 1 or row[0]["height"] >= 1.39 * row_height, row
        # The last row is not stretched: its pictures stand at the row height.
        assert all(tile["height"] <= row_height + 1 for tile in rows[-1]), rows[-1]

    def test_thumbnails_are_sharp_at_twice_the_pixel_density(
        self, chromium, live_api, owner_api, user
    ):
        upload_shapes(owner_api)
        context = chromium.new_context(
            viewport={"width": 1280, "height": 800}, device_scale_factor=2
        )
        try:
            context.add_cookies([session_cookie(user, live_api.base_url)])
            page = context.new_page()
            page.goto(live_api.url("home"))
            tiles = loaded_tiles(page)
            # With srcset, naturalWidth is in CSS pixels (the file's over its density): the
            # file the browser chose is measured apart, as its own bytes decode.
            files = page.locator("ul.grid > li.tile a img:not(.ph)").evaluate_all(FILE_SIZES)
            for tile, (width, height) in zip(tiles, files, strict=True):
                # Every device pixel of the tile has a pixel of the file (1 % for rounding).
                assert 2 * tile["height"] <= 1.01 * height, (tile, width, height)
                assert 2 * tile["width"] <= 1.01 * width, (tile, width, height)
        finally:
            context.close()


class TestImagePageContext:
    def test_arrows_step_within_the_album_and_escape_returns_to_it(self, owner, owner_api):
        images = [owner_api.upload(index, title=f"Boat {index}") for index in range(4)]
        album = owner_api.album("Boats in the album", [images[0], images[2]])
        renders_done()
        page = owner.open("album", album_id=album["id"])
        open_picture(page, "Boat 2")
        page.wait_for_load_state("load")
        page.keyboard.press("ArrowRight")  # the album's next picture, not the gallery's
        expect(page.get_by_role("heading", name="Boat 0", level=1)).to_be_visible()
        page.wait_for_load_state("load")
        page.keyboard.press("ArrowRight")  # the album ends here
        page.keyboard.press("ArrowLeft")
        expect(page.get_by_role("heading", name="Boat 2", level=1)).to_be_visible()
        page.wait_for_load_state("load")
        page.keyboard.press("Escape")
        expect(page).to_have_url(owner.site.url("album", album_id=album["id"]))
        page.get_by_role("link", name="Boat 0", exact=True).click()
        page.get_by_role("link", name="← Album").click()
        expect(page).to_have_url(owner.site.url("album", album_id=album["id"]))

    def test_the_filter_form_applies_as_soon_as_a_choice_changes(self, owner, owner_api):
        images = [owner_api.upload(index, title=f"Gull {index}") for index in range(3)]
        renders_done()
        owner_api.patch("image-detail", kwargs={"pk": images[1]["id"]}, json={"is_favorite": True})
        page = owner.open("home")
        with page.expect_navigation():
            page.locator("select[name=ordering]").select_option(label="Oldest uploads")
        expect(page).to_have_url(re.compile(r"\?ordering=created_at$"))
        with page.expect_navigation():
            page.get_by_label("Favourites only").check()
        expect(page.locator("ul.grid > li.tile")).to_have_count(1)
        # The picture's page steps and goes back within the favourites, oldest first.
        open_picture(page, "Gull 1")
        expect(page.get_by_role("link", name="Next")).to_have_count(0)
        page.get_by_role("link", name="← All pictures").click()
        expect(page).to_have_url(re.compile(r"\?is_favorite=true&ordering=created_at$"))


PHONE = {"width": 375, "height": 667}


def in_first_screen(locator) -> bool:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] and box["x"] >= 0


class TestPhone:
    def test_the_upload_button_is_on_the_first_screen(self, owner):
        owner.page.set_viewport_size(PHONE)
        page = owner.open("upload")
        assert in_first_screen(page.get_by_text("Choose pictures"))
        assert page.evaluate("document.scrollingElement.scrollTop") == 0

    @pytest.mark.parametrize("size", [(3000, 4000), (4000, 3000)], ids=["portrait", "landscape"])
    def test_the_picture_and_its_main_actions_are_on_the_first_screen(self, owner, owner_api, size):
        image = owner_api.post(
            "image-list",
            files={"file": ("tall.jpg", image_bytes(size=size), "image/jpeg")},
            data={"title": "On a phone"},
        )
        renders_done()
        owner.page.set_viewport_size(PHONE)
        page = owner.open("image", image_id=image["id"])
        assert in_first_screen(page.get_by_role("img", name="On a phone", exact=True))
        for action in ("Favourite", "Move to trash"):
            assert in_first_screen(page.get_by_role("button", name=action)), action
        assert in_first_screen(page.get_by_role("link", name="Download original"))
        # The styles wait folded until asked for.
        expect(page.get_by_role("radio", name=re.compile(r"^Sepia"))).to_be_hidden()


class TestImagePagePreview:
    def test_a_phone_loads_a_screen_sized_preview_and_the_full_size_only_on_zoom(
        self, owner, owner_api
    ):
        image = owner_api.post(
            "image-list",
            files={"file": ("big.jpg", image_bytes(size=(3000, 2000)), "image/jpeg")},
            data={"title": "Big harbour"},
        )
        renders_done()
        owner.page.set_viewport_size(PHONE)
        page = owner.open("image", image_id=image["id"])
        picture = page.get_by_role("img", name="Big harbour", exact=True)
        expect(picture).to_have_js_property("complete", True)
        assert not [url for url in owner.watch.requests if "/processed/" in url]
        shown = picture.evaluate("img => [img.currentSrc, img.naturalWidth]")
        assert "/processed/" not in shown[0] and shown[1] <= 1440, shown
        # A click shows it at full size.
        with page.expect_response(lambda response: "/processed/" in response.url):
            picture.click()
        expect(picture).to_have_attribute("src", re.compile("/processed/"))
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("img => img.naturalWidth") > shown[1]
        page.keyboard.press("Escape")  # out of the zoom, still on the picture's page
        expect(page.get_by_role("heading", name="Big harbour", level=1)).to_be_visible()


class TestUndo:
    def test_moving_a_picture_to_the_trash_can_be_undone(self, owner, owner_api):
        image = owner_api.upload(0, title="Kept after all")
        renders_done()
        page = owner.open("image", image_id=image["id"])
        page.get_by_role("button", name="Move to trash").click()
        expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
        toast = page.get_by_role("status").filter(has_text="Moved to the trash.")
        with page.expect_navigation():
            toast.get_by_role("button", name="Undo").click()
        expect(page.get_by_role("img", name="Kept after all", exact=True)).to_be_visible()
        assert Image.objects.get(pk=image["id"]).trashed_at is None

    def test_removing_a_picture_from_an_album_can_be_undone(self, owner, owner_api):
        images = [owner_api.upload(index, title=f"Pier {index}") for index in range(2)]
        album = owner_api.album("Piers", images)
        renders_done()
        page = owner.open("album", album_id=album["id"])
        page.get_by_role("button", name="Remove Pier 1 from the album").click()
        expect(page.get_by_role("img", name="Pier 1", exact=True)).to_have_count(0)
        toast = page.get_by_role("status").filter(has_text="Removed from the album.")
        with page.expect_navigation():
            toast.get_by_role("button", name="Undo").click()
        expect(page.get_by_role("img", name="Pier 1", exact=True)).to_be_visible()

    def test_restoring_the_last_picture_leaves_an_empty_trash_not_a_stale_one(
        self, owner, owner_api
    ):
        image = owner_api.upload(0, title="Back again")
        renders_done()
        owner_api.trash(image)
        page = owner.open("trash")
        thumbnails_seen(page)
        page.get_by_role("button", name="Restore Back again").click()
        expect(page.get_by_text("The trash is empty.")).to_be_visible()
        expect(page.get_by_text("Empty the trash…")).to_have_count(0)
        page.get_by_role("link", name="Gallery").click()
        expect(page.get_by_role("img", name="Back again", exact=True)).to_be_visible()
        page.go_back()  # from the back/forward cache: loaded afresh, still empty
        expect(page.get_by_text("The trash is empty.")).to_be_visible()


class TestUploadWords:
    def test_a_picture_already_in_the_gallery_is_uploaded_again_only_if_asked(
        self, owner, owner_api
    ):
        owner_api.upload(0, title="First copy")
        page = owner.open("upload")
        drop_files(
            page.get_by_text("or drop them here"),
            [("again.jpg", picture(0), "image/jpeg"), ("new.jpg", picture(1), "image/jpeg")],
        )
        uploads = page.get_by_role("region", name="Uploads")
        again = uploads.get_by_role("listitem").filter(has_text="again.jpg")
        expect(again.get_by_role("link", name="you already have this picture")).to_be_visible()
        expect(uploads.get_by_role("listitem").filter(has_text="new.jpg")).to_contain_text(
            "Waiting"
        )
        again.get_by_role("button", name="Skip").click()
        expect(again).to_contain_text("Skipped")
        done = uploads.get_by_role("listitem").filter(has_text="new.jpg")
        expect(done.get_by_role("link", name="Uploaded")).to_be_visible()
        assert Image.objects.filter(original_filename="again.jpg").count() == 0

        drop_files(page.get_by_text("or drop them here"), [("again.jpg", picture(0), "image/jpeg")])
        row = uploads.get_by_role("listitem").filter(has_text="again.jpg").last
        row.get_by_role("button", name="Upload anyway").click()
        expect(row.get_by_role("link", name="Uploaded")).to_be_visible()
        assert Image.objects.filter(original_filename="again.jpg").count() == 1

    def test_a_file_over_the_limit_is_refused_in_megabytes_before_it_is_sent(self, owner, settings):
        settings.ATELIER = {**settings.ATELIER, "MAX_UPLOAD_BYTES": 2 * 1024 * 1024}
        page = owner.open("upload")
        big = image_bytes(size=(2400, 1800), noisy=True)
        assert len(big) > 2 * 1024 * 1024
        drop_files(page.get_by_text("or drop them here"), [("huge.jpg", big, "image/jpeg")])
        row = page.get_by_role("region", name="Uploads").get_by_role("listitem")
        expect(row.get_by_role("alert")).to_have_text(
            "Larger than 2.0 MB, the most a picture may be."
        )
        assert not [url for url in owner.watch.requests if url.endswith(reverse("image-list"))]

    def test_an_api_refusal_reads_without_the_fields_name(self, owner):
        page = owner.open("upload")
        owner.watch.expected_failures.add(owner.site.url("image-list"))
        drop_files(
            page.get_by_text("or drop them here"),
            [("notes.jpg", b"words, not pixels", "image/jpeg")],
        )
        alert = page.get_by_role("region", name="Uploads").get_by_role("alert")
        expect(alert).not_to_be_empty()
        assert not alert.inner_text().startswith("file:"), alert.inner_text()
