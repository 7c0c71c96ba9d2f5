"""An album shared between accounts in Chromium (issue 20), as its people meet it: the owner
invites by username, the invitee accepts, looks, likes and comments, a contributor adds a
picture of theirs, and the owner removes the invitee, whose page is then a missing page.

One flow, for the suite's time: each step is a form of the pages posting to the API, as a
person's click does. The contexts check requests, console errors and CSP violations at
teardown (``tests/web/conftest.py``); axe runs on the pages the flow first meets.
"""

import re
from http import HTTPStatus
from typing import cast

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.web.conftest import ApiAs, Visitor, axe, thumbnails_seen
from users.models import User

pytestmark = pytest.mark.browser

COMMENT = "The <b>light</b> here!"


def test_invite_accept_like_comment_contribute_and_remove(
    owner: Visitor, visitor, owner_api: ApiAs, other_user, live_api
):
    # The owner's album with one picture; a contributor already in it, with a picture of theirs.
    beach = owner_api.upload(0, title="Beach")
    album = owner_api.album("Trip", [beach])
    carol = cast(User, UserFactory(username="carol", first_name="Carol"))
    carol_api = ApiAs(live_api, carol)
    dunes = carol_api.upload(1, title="Dunes")
    invitation = owner_api.post(
        "album-member-list",
        kwargs={"album_id": album["id"]},
        json={"user": "carol", "role": "contributor"},
    )
    carol_api.post("invitation-accept", kwargs={"pk": invitation["id"]})

    # The owner invites mallory by username from the album's page.
    page = owner.open("album", album_id=album["id"])
    invitee = page.get_by_label("Invite by username or email")
    invitee.fill("nobody-here")
    owner.watch.expected_failures.add(
        live_api.url("album-member-list", album_id=album["id"])
    )  # the 400 Chromium logs
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("alert")).to_have_text("No account has this username or email.")
    expect(invitee).to_have_attribute("aria-invalid", "true")
    invitee.fill("mallory")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("invitation pending")).to_be_visible()
    axe(page)

    # Mallory sees the invitation (and its count in the nav), and accepts it.
    friend = visitor("invitee", other_user)
    page = friend.open("together-list")
    expect(page.get_by_role("link", name=re.compile("Shared with me 1"))).to_be_visible()
    expect(page.get_by_text("alice invited you as viewer")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Accept the invitation to Trip").click()
    page.wait_for_url(re.compile(rf"/together/{album['id']}/$"))
    expect(page.get_by_role("heading", name="Trip", level=1)).to_be_visible()
    thumbnails_seen(page)
    expect(page.locator("ul.grid > li")).to_have_count(1)

    # She opens the picture, likes it and comments (her words shown as text).
    page.get_by_role("link", name="Beach, by alice").click()
    expect(page.get_by_role("heading", name="Beach", level=1)).to_be_visible()
    page.get_by_role("button", name="Like").click()
    expect(page.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("1 like", exact=True)).to_be_visible()
    page.get_by_label("Comment on this picture").fill(COMMENT)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text(COMMENT, exact=True)).to_be_visible()
    axe(page)

    # Carol adds her picture from "Add my pictures".
    contributor = visitor("contributor", carol)
    page = contributor.open("together", album_id=album["id"])
    page.get_by_text("Add my pictures").click()
    page.get_by_role("checkbox", name="Dunes").check()
    page.get_by_role("button", name="Add to the album").click()
    expect(page.locator("ul.grid > li")).to_have_count(2)
    expect(page.get_by_text("Carol added 1 picture")).to_be_visible()
    assert dunes["id"] in page.content()

    # The owner removes mallory: her page of the album is now a missing page.
    page = owner.open("album", album_id=album["id"])
    page.get_by_role("button", name="Remove mallory").click()
    expect(page.get_by_role("button", name="Remove mallory")).to_have_count(0)
    friend.open("together", album_id=album["id"], status=HTTPStatus.NOT_FOUND)
    expect(friend.page.get_by_role("heading", name="Nothing here")).to_be_visible()
    assert (
        reverse("together", kwargs={"album_id": album["id"]})
        not in friend.open("together-list").content()
    )
