"""The locked folder in Chromium, one flow as its owner lives it: a picture moved in from its
page leaves the gallery; the folder asks for the password (and says when it is wrong), then
shows the picture, loaded; moved out, it is back in the gallery.

The owner's context checks requests, console errors and CSP violations at teardown
(``tests/web/conftest.py``). The folder's two states are in the a11y table
(``test_browser_a11y.PAGES``).
"""

import pytest
from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD
from tests.web.conftest import ApiAs, Visitor, thumbnails_seen

pytestmark = pytest.mark.browser


def test_a_picture_goes_into_the_locked_folder_and_comes_back(owner: Visitor, owner_api: ApiAs):
    kept = owner_api.upload(0, title="Kept in sight")
    hidden = owner_api.upload(1, title="Hidden away")

    page = owner.open("image", image_id=hidden["id"])
    page.get_by_role("button", name="Move to locked folder").click()
    expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
    expect(page.locator("[data-toast]")).to_have_text("Moved to the locked folder.")
    expect(page.get_by_role("img", name=kept["title"])).to_be_visible()
    expect(page.get_by_role("img", name=hidden["title"])).to_have_count(0)

    page = owner.open("locked-folder")
    password = page.get_by_label("Your password")
    password.fill("not my password")
    owner.watch.expected_failures.add(owner.site.url("locked-folder"))
    page.get_by_role("button", name="Open the locked folder").click()
    expect(page.get_by_role("alert")).to_have_text("The password is not correct.")
    expect(page.get_by_role("img", name=hidden["title"])).to_have_count(0)

    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Open the locked folder").click()
    tile = page.get_by_role("img", name=hidden["title"])
    expect(tile).to_be_visible()
    thumbnails_seen(page)  # every picture of the page loaded: naturalWidth > 0
    expect(page.get_by_role("img", name=kept["title"])).to_have_count(0)

    page.get_by_role("link", name=hidden["title"]).click()
    large = page.get_by_role("img", name=hidden["title"])
    expect(large).to_be_visible()
    thumbnails_seen(page)
    page.get_by_role("button", name="Move out of the locked folder").click()
    expect(page.get_by_role("heading", name=hidden["title"], level=1)).to_be_visible()
    expect(page.get_by_text("Moved out of the locked folder")).to_be_visible()

    page = owner.open("home")
    expect(page.get_by_role("img", name=hidden["title"])).to_be_visible()
    expect(page.get_by_role("img", name=kept["title"])).to_be_visible()
