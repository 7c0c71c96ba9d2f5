"""Partner sharing in Chromium (issue 20, item 4), one flow as two people live it: Alice shares
her library with Bob on her Partners page (a wrong name first: the API's error, said); Bob
accepts on his; his gallery with partners' pictures shows hers, marked; he opens it and saves
it, and it is his own; Alice ends it, and Bob's page of her picture is the missing page.

Both contexts are checked for requests, console errors and CSP violations at teardown
(``tests/web/conftest.py``). The Partners page is in the a11y table
(``test_browser_a11y.PAGES``).
"""

import pytest
from playwright.sync_api import expect

from tests.web.conftest import ApiAs, Visitor, thumbnails_seen

pytestmark = pytest.mark.browser


def test_alice_shares_bob_saves_alice_ends_it(
    owner: Visitor, owner_api: ApiAs, visitor, other_user
):
    other_user.first_name = "Bob"
    other_user.save()
    picture = owner_api.upload(0, title="Harbour at dusk")
    bob = visitor("bob", other_user)

    page = owner.open("partners")
    # A name nobody has: the API's own words, and nothing offered.
    owner.watch.expected_failures.add(owner.site.url("partner-list"))
    page.get_by_label("Their username or email").fill("nobody-by-that-name")
    page.get_by_role("button", name="Share my library").click()
    expect(page.get_by_role("alert")).to_contain_text("There is no account by that name.")
    page.get_by_label("Their username or email").fill(other_user.username)
    page.get_by_role("button", name="Share my library").click()
    expect(page.get_by_text("waiting for them to accept")).to_be_visible()

    mine = bob.open("partners")
    mine.get_by_role("button", name="Accept the library of alice").click()
    mine.get_by_role("link", name="See their pictures in your gallery").click()
    expect(mine.get_by_role("checkbox", name="Include partners' pictures")).to_be_checked()
    tile = mine.locator(f'[data-id="{picture["id"]}"]')
    expect(tile.get_by_text("Shared by alice")).to_be_attached()
    expect(tile.get_by_role("img", name="Harbour at dusk")).to_be_visible()
    thumbnails_seen(mine)

    tile.get_by_role("link").click()
    expect(mine.get_by_role("heading", name="Harbour at dusk", level=1)).to_be_visible()
    expect(mine.get_by_text("Shared by alice")).to_be_visible()
    thumbnails_seen(mine)
    partner_page = mine.url
    mine.get_by_role("button", name="Save to my gallery").click()
    expect(mine.locator("[data-toast]")).to_have_text("Saved to your gallery.")
    # His own picture's page: his controls, his copy.
    expect(mine.get_by_role("button", name="Move to trash")).to_be_visible()
    saved = mine.url.rstrip("/").rsplit("/", 1)[-1]
    assert saved != picture["id"]

    mine = bob.open("home")
    expect(
        mine.locator(f'[data-id="{saved}"]').get_by_role("img", name="Harbour at dusk")
    ).to_be_visible()
    expect(mine.locator(".tile-partner")).to_have_count(0)

    page = owner.open("partners")
    page.get_by_role("button", name="Stop sharing my library with Bob").click()
    expect(page.get_by_text("You share your library with no one.")).to_be_visible()

    bob.open_url(partner_page, status=404)
    expect(bob.page.get_by_role("img", name="Harbour at dusk")).to_have_count(0)
