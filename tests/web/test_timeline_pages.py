"""The gallery on the timeline (issue 22, item 1): month and day headers, the scrubber and
its jump, "Select day" with the selection bar, and "on this day", through Django's test
client (the browser's part is in ``test_browser_timeline.py``).

Rows are made directly (no upload): the pages read what the API's selectors read.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from images.models import Album, Image
from tests.factories import UserFactory
from tests.web.test_pages import assert_strict_page, logged_in, main_of

pytestmark = pytest.mark.django_db


def _picture(owner, *, taken_at=None, title=""):
    return Image.objects.create(
        owner=owner,
        format="JPEG",
        width=4,
        height=3,
        size=1,
        status="ready",
        title=title,
        taken_at=taken_at,
        taken_at_offset=0 if taken_at is not None else None,
        thumbnail_key=f"{uuid.uuid4().hex}/thumbnail.jpg",
    )


def _titles(html: str) -> list[str]:
    return re.findall(
        r'<li class="tile[^"]*" data-item[^>]*><a href="[^"]*"><img [^>]*alt="([^"]*)"', html
    )


def _heads(html: str) -> list[str]:
    return re.findall(r'<li class="tl-(?:month|day)"[^>]*><h[23]>([^<]*)</h[23]>', html)


@pytest.fixture
def library(user) -> None:
    """Two pictures on 14 July 2024, one on 2 July, one in March 2019; uploaded in another
    order than taken."""
    _picture(user, taken_at=datetime(2019, 3, 5, 10, tzinfo=UTC), title="march")
    _picture(user, taken_at=datetime(2024, 7, 14, 9, tzinfo=UTC), title="morning")
    _picture(user, taken_at=datetime(2024, 7, 2, 9, tzinfo=UTC), title="second")
    _picture(user, taken_at=datetime(2024, 7, 14, 18, tzinfo=UTC), title="evening")


class TestGalleryOpensOnTheTimeline:
    def test_grouped_by_month_and_day_newest_first(self, user, library):
        response = logged_in(user).get(reverse("home"))
        assert response.status_code == HTTPStatus.OK
        html = main_of(response)
        assert _titles(html) == ["evening", "morning", "second", "march"]
        assert _heads(html) == [
            "July 2024",
            "Sun 14 July",
            "Tue 2 July",
            "March 2019",
            "Tue 5 March",
        ]
        assert_strict_page(response)

    def test_another_order_is_not_grouped_and_still_works(self, user, library):
        html = main_of(logged_in(user).get(reverse("home"), {"ordering": "-created_at"}))
        assert _titles(html) == ["evening", "second", "morning", "march"]
        assert _heads(html) == []

    def test_the_next_page_walks_the_timeline_through_the_api_too(self, user, auth_client):
        for day in range(1, 32):
            _picture(user, taken_at=datetime(2024, 1, day, 12, tzinfo=UTC), title=f"d{day}")
        html = main_of(logged_in(user).get(reverse("home")))
        more = re.search(r'href="([^"]*)" data-more', html)
        assert more is not None
        query = parse_qs(urlsplit(more.group(1).replace("&amp;", "&")).query)
        assert query["ordering"] == ["-timeline_at"]
        # gallery.js asks the API's list with the link's query: it goes on with the oldest.
        api = auth_client.get(
            reverse("image-list") + "?" + urlsplit(more.group(1)).query.replace("&amp;", "&")
        )
        assert [image["title"] for image in api.json()["results"]] == ["d1"]


class TestScrubber:
    def test_years_and_months_link_to_their_jump(self, user, library):
        html = main_of(logged_in(user).get(reverse("home")))
        scrubber = html[html.index('<details class="scrubber">') :]
        scrubber = scrubber[: scrubber.index("</details>")]
        assert re.findall(r'href="\?timeline_from=([^"]*)">([^<]*)<', scrubber) == [
            ("2024-12", "2024"),
            ("2024-07", "Jul"),
            ("2019-12", "2019"),
            ("2019-03", "Mar"),
        ]

    def test_a_month_link_starts_the_page_at_that_month(self, user, library):
        client = logged_in(user)
        html = main_of(client.get(reverse("home"), {"timeline_from": "2019-03"}))
        assert _titles(html) == ["march"]
        assert _heads(html) == ["March 2019", "Tue 5 March"]
        assert "On this day" not in html

    def test_a_jump_the_list_refuses_is_said_not_crashed(self, user, library):
        client = logged_in(user)
        for params in (
            {"timeline_from": "soon"},
            {"timeline_from": "2024-07", "ordering": "-created_at"},
        ):
            response = client.get(reverse("home"), params)
            assert response.status_code == HTTPStatus.OK
            assert b'role="alert"' in response.content

    def test_another_accounts_pictures_are_never_in_the_scrubber(self, user, library):
        stranger = UserFactory()
        _picture(stranger, taken_at=datetime(2001, 1, 1, 12, tzinfo=UTC))
        html = main_of(logged_in(stranger).get(reverse("home")))
        assert "timeline_from=2001-01" in html
        assert "2024" not in html and "2019" not in html


class TestSelectDay:
    def test_without_an_album_there_is_nothing_to_select_for(self, user, library):
        html = main_of(logged_in(user).get(reverse("home")))
        assert "data-pick-day" not in html and "data-selection" not in html

    def test_each_day_can_be_selected_into_an_album(self, user, library):
        album = Album.objects.create(owner=user, title="Summer")
        response = logged_in(user).get(reverse("home"))
        html = main_of(response)
        assert html.count("data-pick-day") == 3  # 14 July, 2 July, 5 March
        form = re.search(r'<form class="selection" data-selection hidden ([^>]*)>', html)
        assert form is not None
        endpoint = reverse("album-images", kwargs={"pk": "00000000-0000-4000-8000-000000000000"})
        assert f'data-api="{endpoint}"' in form.group(1)
        assert 'data-method="PUT" data-path="album"' in form.group(1)
        assert f'<option value="{album.pk}">Summer</option>' in html
        assert_strict_page(response)


class TestOnThisDay:
    def test_earlier_years_of_today_are_shown_at_the_top(self, user):
        today = timezone.now().astimezone(UTC)
        two_years_ago = today.replace(year=today.year - 2, hour=12, minute=0)
        if today.month == 2 and today.day == 29:
            pytest.skip("no 29 February two years ago")
        _picture(user, taken_at=two_years_ago, title="then")
        _picture(user, taken_at=two_years_ago - timedelta(days=1), title="the day before")
        html = main_of(logged_in(user).get(reverse("home")))
        strip = html[html.index('<section class="otd"') : html.index("</section>")]
        assert "2 years ago" in strip
        assert f'href="?timeline_from={two_years_ago.date().isoformat()}"' in strip
        assert 'alt="then"' in strip and "the day before" not in strip

    def test_no_strip_without_such_pictures_nor_for_another_account(self, user, other_user):
        today = timezone.now().astimezone(UTC)
        _picture(other_user, taken_at=today.replace(year=today.year - 1, day=1, hour=12))
        _picture(user, taken_at=today.replace(year=today.year - 1, day=1, hour=12))
        html = main_of(logged_in(user).get(reverse("home")))
        if today.day != 1:
            assert "On this day" not in html
        html = main_of(logged_in(UserFactory()).get(reverse("home")))
        assert "On this day" not in html


class TestQueries:
    def test_the_gallery_costs_the_same_for_one_picture_or_fifty(self, user):
        from django.db import connection

        client = logged_in(user)
        today = timezone.now().astimezone(UTC).replace(hour=12, minute=0)
        _picture(user, taken_at=today.replace(year=today.year - 1))

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("home")).status_code == HTTPStatus.OK
            return len(captured)

        one = queries()
        for back in range(2, 27):
            for hour in (9, 10):
                _picture(user, taken_at=today.replace(year=today.year - back, hour=hour))
        assert queries() == one
