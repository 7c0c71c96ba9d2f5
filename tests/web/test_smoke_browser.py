"""One walk through the web app's scripts in Chromium: upload, look, organise, share.

The thorough browser tests live in ``test_browser*.py``; this one checks that the pages'
JavaScript (uploads with progress, the API-backed forms, scrolling, keyboard) works end to end.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import drop_files, picture, thumbnails_seen

pytestmark = pytest.mark.browser


def test_upload_look_organise_and_share(owner, anonymous):
    page = owner.open("upload")
    page.locator("summary", has_text="Style for these pictures").click()  # folded away
    page.get_by_label("Sepia").check()
    drop_files(
        page.locator("[data-dropzone]"),
        [(f"photo-{i}.jpg", picture(i), "image/jpeg") for i in range(3)],
    )
    expect(page.get_by_role("progressbar")).to_have_count(3)
    expect(page.get_by_role("link", name=re.compile("^Uploaded"))).to_have_count(3)

    page = owner.open("home")
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(3)
    page.get_by_role("link", name="photo-2.jpg").click()
    expect(page.get_by_role("heading", name="photo-2.jpg")).to_be_visible()
    image_url = page.url

    page.get_by_role("button", name="Favourite").click()
    expect(page.get_by_role("button", name="Favourite")).to_have_attribute("aria-pressed", "true")
    # The favourite reloaded the page: its forms act once its script has run (DOMContentLoaded);
    # typed before, on a loaded machine, the title was submitted natively and lost.
    page.wait_for_load_state("domcontentloaded")
    page.get_by_label("Picture title").fill("Harbour at dusk")
    page.get_by_role("button", name="Save title").click()
    expect(page.get_by_role("heading", name="Harbour at dusk")).to_be_visible()
    page.wait_for_load_state("domcontentloaded")  # reloaded again: its script first
    page.locator("summary", has_text="Style").click()
    page.get_by_label("Cartoon").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply style").click()
    expect(page.locator("summary", has_text="Style")).to_contain_text("Cartoon")
    page.wait_for_load_state()

    page.keyboard.press("ArrowRight")
    expect(page).not_to_have_url(image_url)
    page.wait_for_load_state()
    page.keyboard.press("Escape")
    expect(page.locator("[data-grid]")).to_be_visible()

    page = owner.open("albums")
    page.get_by_label("Album title").fill("Evenings")
    page.get_by_role("button", name="Create album").click()
    expect(page.get_by_role("heading", name="Evenings")).to_be_visible()
    page.goto(image_url)
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("link", name="Evenings")).to_be_visible()

    page.get_by_role("button", name="Move to trash").click()
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(2)
    page = owner.open("trash")
    thumbnails_seen(page)
    page.get_by_role("button", name="Restore Harbour at dusk").click()
    expect(page.get_by_role("button", name="Restore Harbour at dusk")).to_have_count(0)
    page = owner.open("home")
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(3)

    page.locator("form.filters").get_by_label("Album").select_option(label="Evenings")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(1)

    page.get_by_role("link", name="Albums").click()
    page.get_by_role("link", name="Evenings").click()
    page.get_by_text("Share album").click()
    page.get_by_label("Link password").fill("tea at five")
    page.get_by_role("button", name="Create link").click()
    expect(page.get_by_role("heading", name="Shared links")).to_be_visible()
    link = page.get_by_label("Link address").first.input_value()

    visitor = anonymous.open_url(link)
    visitor.get_by_label("Password").fill("tea at five")
    visitor.get_by_role("button", name="See the pictures").click()
    expect(visitor.get_by_role("img", name="Harbour at dusk")).to_be_visible()


def test_the_gallery_fetches_more_pictures_as_one_scrolls(owner, owner_api):
    for index in range(34):
        owner_api.upload(index, title=f"Picture {index}")
    # A phone's screen: the first page's thumbnails reach well below it.
    owner.page.set_viewport_size({"width": 375, "height": 667})
    page = owner.open("home")
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(30)
    page.get_by_role("link", name="More pictures").scroll_into_view_if_needed()
    expect(page.locator("[data-grid] img:not(.ph)")).to_have_count(34)
    expect(page.get_by_role("link", name="More pictures")).to_have_count(0)
    # The tiles the script added paint their ThumbHash too (web/thumbhash.js, under the CSP).
    added = page.locator("[data-grid] > li:nth-child(n+31 of [data-item]) img.ph")
    expect(added).to_have_count(4)
    assert all(
        src.startswith("data:image/png;base64,")
        for src in added.evaluate_all("(imgs) => imgs.map((img) => img.src)")
    )
