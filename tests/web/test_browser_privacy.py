"""Privacy in the browser: one account's pages are a 404 to another, and a password change
revokes the signed thumbnail URLs the gallery handed out before it.

The owner (alice) and the second account (mallory) each browse in a context of their own, with
their own session cookie, as two people on two machines would.
"""

from http import HTTPStatus

import pytest
from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD
from tests.web.conftest import ApiAs, Visitor, fetch_anonymously

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-brand-new-pass-phrase-9"


@pytest.fixture
def alices_things(owner_api: ApiAs) -> dict:
    """Alice's picture, album holding it, and a share link of the album."""
    image = owner_api.upload(0, title="Alice's harbour")
    album = owner_api.album("Alice's album", [image])
    share = owner_api.share(album, password="tea at five")
    return {"image": image, "album": album, "share": share}


def assert_not_found_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()


def api_call_from_page(page: Page, method: str, url: str) -> int:
    """The status of a call made by the page's own means: its session and its CSRF token."""
    return page.evaluate(
        """async ([method, url]) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch(url, {
            method, credentials: "same-origin",
            headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          });
          return response.status;
        }""",
        [method, url],
    )


def thumbnail_urls(page: Page) -> list[str]:
    """The signed thumbnail URLs of the gallery's grid, as the browser resolved them."""
    grid = page.get_by_role("main").get_by_role("list").first
    return grid.get_by_role("img").evaluate_all("imgs => imgs.map((img) => img.currentSrc)")


class TestAnotherAccountsPages:
    def test_second_account_gets_404_page_for_first_accounts_image(
        self, intruder: Visitor, alices_things
    ):
        page = intruder.open("image", image_id=alices_things["image"]["id"], status=404)
        assert_not_found_page(page)
        expect(page.get_by_text("Alice's harbour")).to_have_count(0)

    def test_second_account_gets_404_page_for_first_accounts_album(
        self, intruder: Visitor, alices_things
    ):
        page = intruder.open("album", album_id=alices_things["album"]["id"], status=404)
        assert_not_found_page(page)
        expect(page.get_by_text("Alice's album")).to_have_count(0)

    def test_second_account_cannot_see_or_revoke_first_accounts_share(
        self, intruder: Visitor, alices_things
    ):
        share = alices_things["share"]
        page = intruder.open("shares")
        expect(page.get_by_role("heading", name="Shared links")).to_be_visible()
        assert share["token"] not in page.content()
        expect(page.get_by_text("Alice's album")).to_have_count(0)

        detail = intruder.site.url("share-detail", pk=share["id"])
        intruder.watch.expected_failures.add(detail)
        assert api_call_from_page(page, "GET", detail) == HTTPStatus.NOT_FOUND
        assert api_call_from_page(page, "DELETE", detail) == HTTPStatus.NOT_FOUND

    def test_second_account_filtering_by_first_accounts_album_gets_404_page(
        self, intruder: Visitor, alices_things
    ):
        # As in the API, another account's album is a 404, like a missing one.
        url = intruder.site.url("home") + f"?album={alices_things['album']['id']}"
        page = intruder.open_url(url, status=HTTPStatus.NOT_FOUND)
        assert_not_found_page(page)
        expect(page.get_by_text("Alice's")).to_have_count(0)

    def test_second_accounts_gallery_and_trash_hold_nothing_of_the_first(
        self, intruder: Visitor, alices_things, owner_api: ApiAs
    ):
        owner_api.trash(owner_api.upload(1, title="Alice's trashed boat"))
        for viewname in ("home", "trash", "albums"):
            page = intruder.open(viewname)
            expect(page.get_by_text("Alice's")).to_have_count(0)

    def test_anonymous_visitor_is_sent_to_log_in(self, anonymous: Visitor, alices_things):
        page = anonymous.page
        for viewname, kwargs in [
            ("home", {}),
            ("image", {"image_id": alices_things["image"]["id"]}),
            ("album", {"album_id": alices_things["album"]["id"]}),
            ("shares", {}),
            ("account", {}),
        ]:
            anonymous.open(viewname, **kwargs)
            expect(page.get_by_role("heading", name="Log in")).to_be_visible()
            expect(page.get_by_text("Alice's")).to_have_count(0)


class TestPasswordChange:
    def test_thumbnail_signed_urls_stop_working_after_password_change(
        self, owner: Visitor, owner_api: ApiAs
    ):
        for index in range(3):
            owner_api.upload(index, title=f"Boat {index}")
        page = owner.open("home")
        before = thumbnail_urls(page)
        assert len(before) == 3, before
        for url in before:
            answer = fetch_anonymously(url)
            assert answer.status_code == HTTPStatus.OK, (url, answer.status_code)
            assert answer.headers["content-type"].startswith("image/")

        owner.open("account")
        page.get_by_label("Current password").fill(DEFAULT_PASSWORD)
        page.get_by_label("New password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Password changed")

        for url in before:
            answer = fetch_anonymously(url)
            assert answer.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND), (
                url,
                answer.status_code,
            )
            assert not answer.headers.get("content-type", "").startswith("image/")

        # The owner is still logged in, and the gallery hands out new URLs that work.
        page = owner.open("home")
        after = thumbnail_urls(page)
        assert len(after) == 3 and not set(after) & set(before)
        for url in after:
            assert fetch_anonymously(url).status_code == HTTPStatus.OK
        for image in page.get_by_role("main").get_by_role("img").all():
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
