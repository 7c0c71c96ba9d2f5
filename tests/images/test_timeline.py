"""The timeline (issue 22, item 1): its buckets, a bucket's pictures, the jump into it and
"on this day", through the API.

The buckets are compared with a brute-force count made here from the definition (the
camera's local date, computed with ``zoneinfo`` from the instant and the zone the picture was
taken in; the upload's date in UTC where there is no date taken), over random libraries
changed the ways the code changes them (a new date taken, the trash and back, the locked
folder and back, deletes). Rows are made directly (no upload): this is about counting.
"""

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images.models import Album, AlbumMember, Image, Partnership
from tests.conftest import field_errors
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Zones with whole, half and quarter hours, both hemispheres' summer times, the date line.
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/St_Johns",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
# Instants either side of summer time's changes (Europe, North America, Australia), around
# local midnight, where the wrong offset moves a picture to the day before or after.
DST_CHANGES = [
    datetime(2023, 3, 26, 1, 0, tzinfo=UTC),
    datetime(2023, 10, 29, 1, 0, tzinfo=UTC),
    datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
    datetime(2024, 11, 3, 6, 0, tzinfo=UTC),
    datetime(2024, 4, 6, 16, 0, tzinfo=UTC),
    datetime(2024, 10, 5, 16, 0, tzinfo=UTC),
]
INSTANT = st.one_of(
    st.datetimes(
        min_value=datetime(1995, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, minutes: change + timedelta(minutes=minutes),
        st.sampled_from(DST_CHANGES),
        st.integers(min_value=-36 * 60, max_value=36 * 60),
    ),
)
# A picture: taken at an instant in a zone (the camera wrote the offset, or not), or undated
# and uploaded at some instant.
SHOT = st.one_of(
    st.tuples(st.just("taken"), INSTANT, st.sampled_from(ZONES), st.booleans()),
    st.tuples(st.just("undated"), INSTANT, st.just("UTC"), st.just(False)),
)


def _picture(owner, *, taken_at=None, offset=None, created_at=None, title=""):
    image = Image.objects.create(
        owner=owner,
        format="JPEG",
        width=4,
        height=3,
        size=1,
        status="ready",
        title=title,
        taken_at=taken_at,
        taken_at_offset=offset if taken_at is not None else None,
        thumbnail_key=f"{uuid.uuid4().hex}/thumbnail.jpg",
    )
    if created_at is not None:
        image.created_at = created_at
        image.save()  # timeline_at follows (TimelineField)
    return image


def _shoot(owner, shot) -> tuple[Image, date]:
    """A picture as ``shot`` describes it, and its day by the definition."""
    kind, instant, zone, offset_known = shot
    if kind == "undated":
        return _picture(owner, created_at=instant), instant.astimezone(UTC).date()
    local = instant.astimezone(ZoneInfo(zone))
    offset = int(local.utcoffset().total_seconds() // 60)
    image = _picture(owner, taken_at=instant, offset=offset if offset_known else None)
    # Without an offset the camera's clock is unknown: the instant as read (UTC) is its day.
    return image, (local.date() if offset_known else instant.date())


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _timeline(client, **params) -> dict:
    response = client.get(reverse("timeline-list"), params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def _months(days: dict[date, int]) -> dict[str, int]:
    months: Counter[str] = Counter()
    for day, count in days.items():
        months[f"{day.year:04d}-{day.month:02d}"] += count
    return dict(months)


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["shoot", "shoot", "shoot", "trash", "restore", "lock", "unlock", "retake", "delete"]
        ),
        st.integers(min_value=0, max_value=40),
        SHOT,
    ),
    min_size=1,
    max_size=20,
)


class TestBucketsEqualABruteForceCount:
    @given(ops=OPS)
    def test_month_and_day_buckets_after_any_changes(self, ops):
        owner, bystander = UserFactory(), UserFactory()
        _shoot(bystander, ("undated", datetime(2020, 5, 5, tzinfo=UTC), "UTC", False))
        pictures: list[tuple[Image, date]] = []
        for kind, index, shot in ops:
            if kind == "shoot" or not pictures:
                pictures.append(_shoot(owner, shot))
                continue
            position = index % len(pictures)
            image, _day = pictures[position]
            if kind == "trash":
                Image.objects.filter(pk=image.pk).update(trashed_at=timezone.now())
            elif kind == "restore":
                Image.objects.filter(pk=image.pk).update(trashed_at=None)
            elif kind == "lock":
                Image.objects.filter(pk=image.pk, trashed_at__isnull=True).update(
                    locked_at=timezone.now()
                )
            elif kind == "unlock":
                Image.objects.filter(pk=image.pk).update(locked_at=None)
            elif kind == "retake" and shot[0] == "taken":
                # A new date taken (an edit of the row): the picture moves to its new day.
                _kind, instant, zone, offset_known = shot
                local = instant.astimezone(ZoneInfo(zone))
                image.refresh_from_db()
                image.taken_at = instant
                image.taken_at_offset = (
                    int(local.utcoffset().total_seconds() // 60) if offset_known else None
                )
                image.save()
                pictures[position] = (image, local.date() if offset_known else instant.date())
            elif kind == "delete":
                image.delete()
                pictures.pop(position)
        live = {
            row.pk
            for row in Image.objects.filter(
                owner=owner, trashed_at__isnull=True, locked_at__isnull=True
            )
        }
        expected_days = Counter(day for image, day in pictures if image.pk in live)
        client = _client(owner)

        by_day = _timeline(client, group="day")
        assert by_day["group"] == "day"
        assert {date.fromisoformat(b["day"]): b["count"] for b in by_day["buckets"]} == dict(
            expected_days
        )
        assert [b["day"] for b in by_day["buckets"]] == sorted(
            (b["day"] for b in by_day["buckets"]), reverse=True
        )
        by_month = _timeline(client)
        assert {b["month"]: b["count"] for b in by_month["buckets"]} == _months(expected_days)
        assert [b["month"] for b in by_month["buckets"]] == sorted(
            _months(expected_days), reverse=True
        )
        assert by_month["total"] == by_day["total"] == len(live)
        # Each month's list holds exactly its bucket's pictures (the list's own filter).
        for bucket in by_month["buckets"][:2]:
            listed = client.get(
                reverse("image-list"),
                {"ordering": "-timeline_at", "month": bucket["month"], "page_size": 100},
            ).json()["results"]
            assert len(listed) == bucket["count"]

    def test_a_picture_edited_to_another_date_moves_bucket(self, user):
        client = _client(user)
        image = _picture(user, taken_at=datetime(2019, 8, 1, 12, tzinfo=UTC), offset=120)
        image.taken_at = datetime(2021, 1, 31, 23, 30, tzinfo=UTC)
        image.taken_at_offset = 60  # 00:30 on 1 February, in Paris
        image.save()
        body = _timeline(client)
        assert body["buckets"] == [{"month": "2021-02", "count": 1}]

    def test_day_buckets_narrowed_to_a_month_or_a_year(self, user):
        client = _client(user)
        for when in ("2024-07-01", "2024-07-31", "2024-08-01", "2023-07-15"):
            _picture(user, taken_at=datetime.fromisoformat(when).replace(tzinfo=UTC, hour=9))
        july = _timeline(client, group="day", month="2024-07")
        assert july == {
            "group": "day",
            "total": 2,
            "buckets": [{"day": "2024-07-31", "count": 1}, {"day": "2024-07-01", "count": 1}],
        }
        year = _timeline(client, year="2024")
        assert year["buckets"] == [
            {"month": "2024-08", "count": 1},
            {"month": "2024-07", "count": 2},
        ]


class TestTimelinePrivacy:
    @pytest.mark.parametrize("name", ["timeline-list", "timeline-on-this-day"])
    def test_anonymous_is_a_401_with_a_json_body(self, api_client, name):
        response = api_client.get(reverse(name))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        body = response.json()
        assert body["code"] and body["detail"]

    def test_each_account_sees_only_its_own_counts(self, user, other_user):
        _picture(user, taken_at=datetime(2020, 1, 1, 12, tzinfo=UTC))
        _picture(user, taken_at=datetime(2020, 1, 2, 12, tzinfo=UTC))
        _picture(other_user, taken_at=datetime(2021, 6, 1, 12, tzinfo=UTC))
        assert _timeline(_client(user))["buckets"] == [{"month": "2020-01", "count": 2}]
        assert _timeline(_client(other_user))["buckets"] == [{"month": "2021-06", "count": 1}]
        assert _timeline(_client(UserFactory())) == {"group": "month", "total": 0, "buckets": []}

    def test_trashed_and_locked_pictures_are_never_counted_nor_listed(self, user):
        kept = _picture(user, taken_at=datetime(2020, 3, 3, 12, tzinfo=UTC))
        trashed = _picture(user, taken_at=datetime(2020, 3, 3, 13, tzinfo=UTC))
        locked = _picture(user, taken_at=datetime(2020, 3, 3, 14, tzinfo=UTC))
        Image.objects.filter(pk=trashed.pk).update(trashed_at=timezone.now())
        Image.objects.filter(pk=locked.pk).update(locked_at=timezone.now())
        client = _client(user)
        assert _timeline(client, group="day")["buckets"] == [{"day": "2020-03-03", "count": 1}]
        listed = client.get(reverse("image-list"), {"day": "2020-03-03"}).json()["results"]
        assert [image["id"] for image in listed] == [str(kept.pk)]
        on = client.get(reverse("timeline-on-this-day"), {"date": "2024-03-03"}).json()
        assert [i["id"] for year in on["years"] for i in year["images"]] == [str(kept.pk)]

    def test_a_member_or_partner_of_the_owner_gets_nothing_of_the_owners_timeline(self, user):
        shown = _picture(user, taken_at=datetime(2020, 3, 3, 12, tzinfo=UTC))
        member, partner = UserFactory(), UserFactory()
        album = Album.objects.create(owner=user, title="Trip")
        album.memberships.create(image=shown)
        AlbumMember.objects.create(
            album=album, user=member, role="editor", accepted_at=timezone.now()
        )
        Partnership.objects.create(grantor=user, grantee=partner, accepted_at=timezone.now())
        for account in (member, partner):
            client = _client(account)
            assert _timeline(client) == {"group": "month", "total": 0, "buckets": []}
            on = client.get(reverse("timeline-on-this-day"), {"date": "2024-03-03"}).json()
            assert on["years"] == []
            listed = client.get(reverse("image-list"), {"day": "2020-03-03"}).json()
            assert listed["results"] == []

    def test_the_owners_image_body_has_timeline_at(self, user):
        image = _picture(user, taken_at=datetime(2024, 7, 1, 13, 30, tzinfo=UTC), offset=600)
        body = _client(user).get(reverse("image-detail", kwargs={"pk": image.pk})).json()
        assert body["timeline_at"] == "2024-07-01T23:30:00Z"


def _count(client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content
    return len(captured)


class TestQueriesStayConstant:
    def test_one_picture_or_fifty_cost_the_same_queries(self, user):
        client = _client(user)
        start = datetime(2000, 3, 3, 12, tzinfo=UTC)
        _picture(user, taken_at=start)
        requests: list[tuple[str, dict[str, str]]] = [
            (reverse("timeline-list"), {}),
            (reverse("timeline-list"), {"group": "day"}),
            (reverse("timeline-on-this-day"), {"date": "2026-03-03"}),
            (reverse("image-list"), {"ordering": "-timeline_at", "month": "2000-03"}),
            (reverse("image-list"), {"ordering": "-timeline_at", "timeline_from": "2010-03"}),
        ]
        one = [_count(client, url, params) for url, params in requests]
        for years in range(1, 25):
            for hour in range(2):
                _picture(user, taken_at=start.replace(year=2000 + years, hour=hour))
        _picture(user, taken_at=start.replace(month=4))
        assert [_count(client, url, params) for url, params in requests] == one
        assert one[0] <= 1 + 1  # the account, its day rows
        assert one[2] <= 3  # the days, the ids of their first pictures, those pictures


class TestParametersAreChecked:
    @pytest.mark.parametrize(
        ("name", "params", "field"),
        [
            ("timeline-list", {"group": "week"}, "group"),
            ("timeline-list", {"year": "24"}, "year"),
            ("timeline-list", {"year": "abcd"}, "year"),
            ("timeline-list", {"month": "2024-13"}, "month"),
            ("timeline-list", {"month": "2024-7"}, "month"),
            ("timeline-list", {"month": "2024-07", "year": "2024"}, "month"),
            ("timeline-on-this-day", {"date": "2024-02-30"}, "date"),
            ("timeline-on-this-day", {"date": "today"}, "date"),
            ("image-list", {"day": "2024-7-01"}, "day"),
            ("image-list", {"day": ""}, "day"),
            ("image-list", {"day": "2024-07"}, "day"),
            ("image-list", {"month": "July"}, "month"),
            ("image-list", {"month": "0000-01"}, "month"),
            ("image-list", {"month": "2024-07-14"}, "month"),
            ("image-list", {"ordering": "-timeline_at", "timeline_from": "soon"}, "timeline_from"),
            ("image-list", {"timeline_from": "2024-07"}, "timeline_from"),
            ("image-list", {"ordering": "-taken_at", "timeline_from": "2024"}, "timeline_from"),
        ],
    )
    def test_a_bad_value_is_a_400_naming_it(self, user, name, params, field):
        response = _client(user).get(reverse(name), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
        errors = field_errors(response.json())
        assert list(errors) == [field]
        assert errors[field] and all(isinstance(m, str) for m in errors[field])


def _ids(results: list[dict]) -> list[str]:
    return [image["id"] for image in results]


class TestListingABucketAndJumping:
    @pytest.fixture
    def library(self, user) -> list[Image]:
        """Three pictures a day from 1 to 10 March 2024, taken in Paris (+01:00), the last
        of each day at 23:30 local (22:30 UTC): on its local day, not the next UTC one."""
        made = []
        for day in range(1, 11):
            for hour in (8, 12, 22):
                made.append(
                    _picture(
                        user,
                        taken_at=datetime(2024, 3, day, hour, 30, tzinfo=UTC),
                        offset=60,
                        title=f"{day}-{hour}",
                    )
                )
        return made

    def test_a_day_lists_its_pictures_newest_first(self, user, library):
        listed = _client(user).get(
            reverse("image-list"), {"ordering": "-timeline_at", "day": "2024-03-05"}
        )
        titles = [image["title"] for image in listed.json()["results"]]
        assert titles == ["5-22", "5-12", "5-8"]

    def test_a_jump_starts_at_the_day_and_scrolls_on_both_ways(self, user, library):
        client = _client(user)
        first = client.get(
            reverse("image-list"),
            {"ordering": "-timeline_at", "timeline_from": "2024-03-05", "page_size": "4"},
        ).json()
        assert [image["title"] for image in first["results"]] == ["5-22", "5-12", "5-8", "4-22"]
        onward = client.get(first["next"]).json()
        assert [image["title"] for image in onward["results"]] == ["4-12", "4-8", "3-22", "3-12"]
        back = client.get(first["previous"]).json()
        assert [image["title"] for image in back["results"]] == ["7-8", "6-22", "6-12", "6-8"]

    def test_a_jump_to_a_month_going_up_starts_at_its_first_picture(self, user, library):
        client = _client(user)
        _picture(user, taken_at=datetime(2024, 2, 29, 12, tzinfo=UTC), title="leap")
        page = client.get(
            reverse("image-list"),
            {"ordering": "timeline_at", "timeline_from": "2024-03", "page_size": "2"},
        ).json()
        assert [image["title"] for image in page["results"]] == ["1-8", "1-12"]
        assert [i["title"] for i in client.get(page["previous"]).json()["results"]] == ["leap"]

    def test_a_jump_past_everything_is_an_empty_page_that_can_go_back(self, user, library):
        client = _client(user)
        page = client.get(
            reverse("image-list"), {"ordering": "-timeline_at", "timeline_from": "1999-01"}
        ).json()
        assert page["results"] == [] and page["next"] is None
        assert len(client.get(page["previous"]).json()["results"]) == 20


class TestOnThisDay:
    def test_earlier_years_latest_first_ten_at_most_each(self, user):
        for year in (2001, 2010, 2025):
            for minute in range(12 if year == 2010 else 2):
                _picture(user, taken_at=datetime(year, 12, 8, 10, minute, tzinfo=UTC))
        _picture(user, taken_at=datetime(2026, 12, 8, 10, tzinfo=UTC))  # this year: not shown
        _picture(user, taken_at=datetime(2020, 12, 9, 10, tzinfo=UTC))  # another day
        # 8 December 1995, 23:30 in Sydney: 13:30 UTC on the 8th; on the 8th.
        _picture(user, taken_at=datetime(1995, 12, 8, 13, 30, tzinfo=UTC), offset=600)
        # 9 December 1996, 00:30 in Sydney: 14:30 UTC on the 8th; not on the 8th.
        _picture(user, taken_at=datetime(1996, 12, 8, 14, 30, tzinfo=UTC), offset=600)
        body = _client(user).get(reverse("timeline-on-this-day"), {"date": "2026-12-08"}).json()
        assert body["date"] == "2026-12-08"
        assert [
            (y["year"], y["years_ago"], y["count"], len(y["images"])) for y in body["years"]
        ] == [
            (2025, 1, 2, 2),
            (2010, 16, 12, 10),
            (2001, 25, 2, 2),
        ]
        assert all(y["day"] == f"{y['year']}-12-08" for y in body["years"])
        newest_first = [i["timeline_at"] for i in body["years"][1]["images"]]
        assert newest_first == sorted(newest_first, reverse=True)

    def test_at_most_thirty_years_back(self, user):
        _picture(user, taken_at=datetime(1990, 6, 1, 12, tzinfo=UTC))
        _picture(user, taken_at=datetime(1996, 6, 1, 12, tzinfo=UTC))
        body = _client(user).get(reverse("timeline-on-this-day"), {"date": "2026-06-01"}).json()
        assert [y["year"] for y in body["years"]] == [1996]

    def test_the_29th_of_february_looks_at_leap_years(self, user):
        _picture(user, taken_at=datetime(2020, 2, 29, 12, tzinfo=UTC))
        _picture(user, taken_at=datetime(2023, 2, 28, 12, tzinfo=UTC))
        body = _client(user).get(reverse("timeline-on-this-day"), {"date": "2024-02-29"}).json()
        assert [y["year"] for y in body["years"]] == [2020]

    def test_today_in_utc_by_default(self, user):
        today = timezone.now().astimezone(UTC).date()
        _picture(user, taken_at=datetime(today.year - 3, today.month, 1, 12, tzinfo=UTC))
        body = _client(user).get(reverse("timeline-on-this-day")).json()
        assert body["date"] == today.isoformat()
        assert [y["years_ago"] for y in body["years"]] == ([3] if today.day == 1 else [])
