"""The gallery's timeline in Chromium (issue 22, item 1): a month picked in the scrubber opens
the gallery at that month; "Select day" picks that day's tiles, and the bar adds them to an
album. What the server writes is tested without a browser (``test_timeline_pages.py``).

The owner's context checks requests, console errors and CSP violations at teardown
(``tests/web/conftest.py``).
"""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from images.models import Image
from tests.web.conftest import ApiAs, Visitor

pytestmark = pytest.mark.browser


def _taken(image: dict, when: datetime) -> None:
    """The picture dated as if its camera said ``when`` (UTC, no offset)."""
    row = Image.objects.get(pk=image["id"])
    row.taken_at, row.taken_at_offset = when, 0
    row.save()


@pytest.fixture
def library(owner_api: ApiAs) -> dict[str, dict]:
    made = {
        title: owner_api.upload(index, title=title)
        for index, title in enumerate(("Harbour", "Lighthouse", "Snow"))
    }
    _taken(made["Harbour"], datetime(2024, 7, 14, 9, tzinfo=UTC))
    _taken(made["Lighthouse"], datetime(2024, 7, 14, 18, tzinfo=UTC))
    _taken(made["Snow"], datetime(2019, 3, 5, 10, tzinfo=UTC))
    return made


def test_a_month_in_the_scrubber_opens_the_gallery_there(owner: Visitor, library):
    page = owner.open("home")
    expect(page.get_by_role("heading", name="July 2024")).to_be_visible()
    page.get_by_text("Jump to…").click()
    page.get_by_role("link", name="Mar", exact=True).click()
    expect(page.get_by_role("heading", name="March 2019")).to_be_visible()
    expect(page.get_by_role("heading", name="July 2024")).to_have_count(0)
    expect(page.locator("main .grid [data-item] img:not(.ph)").first).to_have_attribute(
        "alt", "Snow"
    )


def test_select_day_picks_its_tiles_and_adds_them_to_an_album(
    owner: Visitor, owner_api: ApiAs, library
):
    album = owner_api.post("album-list", json={"title": "Summer"})
    page = owner.open("home")
    day = page.locator(".tl-day", has_text="Sun 14 July")
    day.get_by_role("button", name="Select day").click()
    expect(page.locator(".tile.picked")).to_have_count(2)
    bar = page.locator("form.selection")
    expect(bar.locator("output")).to_have_text("2 selected")
    expect(day.get_by_role("button", name="Select day")).to_have_attribute("aria-pressed", "true")
    bar.get_by_role("button", name="Add").click()
    expect(bar).to_be_hidden()  # the page reloads, nothing picked
    response = owner_api.http.get(
        reverse("album-detail", kwargs={"pk": album["id"]}), headers=owner_api.headers
    )
    assert response.json()["image_count"] == 2


# What web/timeline.js writes before the tiles a later page adds (as the server's headers).
HEADS_OF = """async (taken) => {
  const grid = document.querySelector("[data-grid]");
  const timeline = await import(grid.dataset.timelineUrl);
  return taken.map((when) => timeline.heads(grid, { timeline_at: when })
    .map((head) => [head.className, head.textContent, head.dataset.day || ""]));
}"""


def test_a_later_pages_pictures_get_the_servers_headers(owner: Visitor, library):
    page = owner.open("home")
    made = page.evaluate(
        HEADS_OF, ["2019-03-05T08:00:00Z", "2019-03-01T23:59:00Z", "2018-12-31T12:00:00Z"]
    )
    assert made == [
        [],  # the last day on the page goes on
        [["tl-day", "Fri 1 March", "2019-03-01"]],
        [["tl-month", "December 2018", ""], ["tl-day", "Mon 31 December", "2018-12-31"]],
    ]
