"""The counters the database keeps (``images.counters``): an account's storage and its
pictures per timeline day equal a recount of its rows after any change, however made.

The changes are made the ways the code makes them (``save``, ``QuerySet.update``, deletes
one by one, in bulk and by cascade), in random sequences; the expected days are computed
here from the definition, not from the code under test.
"""

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from images import counters
from images.albums import album_images_add, album_images_remove
from images.lifecycle import image_delete
from images.models import Album, AlbumImage, Image, LibraryUsage, PlaceCount, TimelineDay
from images.trash import image_trash
from tests.factories import UserFactory
from tests.parallel import in_parallel_n

pytestmark = pytest.mark.django_db

# Dates taken across the calendar (with leap days and year ends), offsets from UTC-12 to +14.
TAKEN = st.none() | st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
OFFSET = st.none() | st.integers(min_value=-12 * 60, max_value=14 * 60)


def _picture(owner, *, taken_at=None, offset=None, stored_bytes=10, status="ready", keyed=True):
    return Image.objects.create(
        owner=owner,
        format="JPEG",
        width=1,
        height=1,
        size=1,
        status=status,
        stored_bytes=stored_bytes,
        taken_at=taken_at,
        taken_at_offset=offset if taken_at is not None else None,
        thumbnail_key=f"{uuid.uuid4().hex}/thumbnail.jpg" if keyed else "",
    )


def _expected_days(owner) -> dict[date, int]:
    """The definition: the camera's local date where the date taken is known (its offset
    applied, or none), else the upload's date in UTC; live pictures only."""
    days: Counter[date] = Counter()
    for image in Image.objects.filter(owner=owner):
        if image.trashed_at is not None or image.locked_at is not None:
            continue
        if image.taken_at is not None:
            local = image.taken_at + timedelta(minutes=image.taken_at_offset or 0)
            days[local.astimezone(UTC).date()] += 1
        else:
            days[image.created_at.astimezone(UTC).date()] += 1
    return dict(days)


def _kept_days(owner) -> dict[date, int]:
    rows = TimelineDay.objects.filter(owner=owner).exclude(count=0)
    return dict(rows.values_list("day", "count"))


def _expected_usage(owner) -> dict[str, int]:
    images = list(Image.objects.filter(owner=owner))
    counted = [i for i in images if i.status != "failed"]
    return {
        "bytes": sum(i.stored_bytes for i in images),
        "images": len(counted),
        "trash_bytes": sum(i.stored_bytes for i in images if i.trashed_at is not None),
        "trash_images": sum(1 for i in counted if i.trashed_at is not None),
    }


def _apply(owner, op: tuple) -> None:
    kind, index, value = op
    images = list(Image.objects.filter(owner=owner).order_by("created_at", "id"))
    target = images[index % len(images)] if images else None
    if kind == "create" or target is None:
        taken, offset, size = value
        _picture(owner, taken_at=taken, offset=offset, stored_bytes=size)
    elif kind == "trash":
        Image.objects.filter(pk=target.pk).update(trashed_at=timezone.now())
    elif kind == "restore":
        Image.objects.filter(pk=target.pk).update(trashed_at=None)
    elif kind == "lock":
        Image.objects.filter(pk=target.pk, trashed_at__isnull=True).update(locked_at=timezone.now())
    elif kind == "unlock":
        Image.objects.filter(pk=target.pk).update(locked_at=None)
    elif kind == "fail":
        Image.objects.filter(pk=target.pk).update(status="failed", stored_bytes=0)
    elif kind == "bytes":
        target.stored_bytes = value[2]
        target.save()
    elif kind == "retake":
        target.taken_at, target.taken_at_offset = value[0], value[1] if value[0] else None
        target.save()
    elif kind == "move":
        code, country, region, city = PLACES[value[2] % len(PLACES)]
        target.place_country_code, target.place_country = code, country
        target.place_region, target.place_city = region, city
        target.save()
    elif kind == "delete":
        target.delete()
    elif kind == "delete_all_trashed":
        Image.objects.filter(owner=owner, trashed_at__isnull=False).delete()
    elif kind in ("album_add", "album_remove", "album_delete"):
        albums = list(Album.objects.filter(owner=owner).order_by("created_at", "id"))
        album = albums[value[2] % len(albums)]
        if kind == "album_add":
            AlbumImage.objects.get_or_create(album=album, image=target)
        elif kind == "album_remove":
            AlbumImage.objects.filter(album=album, image=target).delete()
        else:
            album.delete()
            Album.objects.create(owner=owner, title="again")


PLACES = [
    ("FR", "France", "Île-de-France", "Paris"),
    ("FR", "France", "Île-de-France", "Versailles"),
    ("AU", "Australia", "New South Wales", "Sydney"),
    ("", "", "", ""),
]


def _expected_places(owner) -> dict[tuple[str, str, str, str], int]:
    places: Counter[tuple[str, str, str, str]] = Counter()
    for i in Image.objects.filter(owner=owner, trashed_at=None, locked_at=None):
        if i.place_country_code:
            places[(i.place_country_code, i.place_country, i.place_region, i.place_city)] += 1
    return dict(places)


def _kept_places(owner) -> dict[tuple[str, str, str, str], int]:
    rows = PlaceCount.objects.filter(owner=owner).exclude(count=0)
    return {(r.country_code, r.country, r.region, r.city): r.count for r in rows}


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "create",
                "trash",
                "restore",
                "lock",
                "unlock",
                "fail",
                "bytes",
                "retake",
                "move",
                "move",
                "delete",
                "delete_all_trashed",
                "album_add",
                "album_add",
                "album_remove",
                "album_delete",
            ]
        ),
        st.integers(min_value=0, max_value=50),
        st.tuples(TAKEN, OFFSET, st.integers(min_value=0, max_value=10**12)),
    ),
    min_size=1,
    max_size=25,
)


class TestCountersKeptByTheDatabase:
    @given(ops=OPS)
    def test_counters_equal_a_recount_after_any_sequence_of_changes(self, ops):
        owner = UserFactory()
        bystander = UserFactory()
        _picture(bystander, stored_bytes=7)
        for title in ("one", "two"):
            Album.objects.create(owner=owner, title=title)
        for op in ops:
            _apply(owner, op)
        assert counters.library_usage(owner_id=owner.pk) == _expected_usage(owner)
        assert _kept_days(owner) == _expected_days(owner)
        assert _kept_places(owner) == _expected_places(owner)
        assert counters.counters_audit(owner_ids=[owner.pk, bystander.pk]) == []
        assert counters.library_usage(owner_id=bystander.pk)["bytes"] == 7

    def test_a_picture_taken_late_in_sydney_is_on_sydneys_day(self):
        owner = UserFactory()
        # 23:30 on 1 July in Sydney (+10:00) is 13:30 UTC: the timeline says 1 July.
        _picture(owner, taken_at=datetime(2024, 7, 1, 13, 30, tzinfo=UTC), offset=600)
        # 00:30 on 2 July in New York (-04:00) is 04:30 UTC on 2 July: 2 July.
        _picture(owner, taken_at=datetime(2024, 7, 2, 4, 30, tzinfo=UTC), offset=-240)
        # 01:00 UTC on 2 July in Los Angeles (-07:00) is still 1 July there.
        _picture(owner, taken_at=datetime(2024, 7, 2, 1, 0, tzinfo=UTC), offset=-420)
        assert _kept_days(owner) == {date(2024, 7, 1): 2, date(2024, 7, 2): 1}

    def test_an_undated_picture_is_on_its_upload_day(self):
        owner = UserFactory()
        image = _picture(owner)
        assert image.timeline_at == image.created_at
        assert _kept_days(owner) == {image.created_at.astimezone(UTC).date(): 1}

    def test_deleting_an_account_with_pictures_takes_its_counters(self):
        owner = UserFactory()
        for _ in range(3):
            _picture(owner, stored_bytes=5)
        owner.delete()
        assert not LibraryUsage.objects.filter(owner_id=owner.pk).exists()
        assert not TimelineDay.objects.filter(owner_id=owner.pk).exists()

    def test_an_account_that_never_stored_anything_reads_zero(self):
        owner = UserFactory()
        assert counters.library_usage(owner_id=owner.pk) == dict.fromkeys(counters.USAGE_FIELDS, 0)


class TestUsageIsOneRowRead:
    def test_users_me_reads_the_same_queries_for_one_picture_and_fifty(self, auth_client, user):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = auth_client.get(reverse("users-me"))
            assert response.status_code == 200
            return len(captured)

        _picture(user, stored_bytes=3)
        one = queries()
        for _ in range(49):
            _picture(user, stored_bytes=3)
        assert queries() == one
        body = auth_client.get(reverse("users-me")).json()
        assert (body["quota"]["bytes_used"], body["quota"]["images_used"]) == (150, 50)


class TestStorageAuditRecounts:
    def test_a_counter_written_past_the_triggers_is_reported_and_fixed(self, media_root):
        owner = UserFactory()
        _picture(owner, stored_bytes=10, keyed=False)
        LibraryUsage.objects.filter(owner=owner).update(bytes=999)
        TimelineDay.objects.filter(owner=owner).update(count=5)
        out = StringIO()
        with pytest.raises(CommandError, match="1 account\\(s\\) with counters off"):
            call_command("storage_audit", stdout=out)
        assert f"counters of account {owner.pk} differ" in out.getvalue()
        call_command("storage_audit", "--fix", stdout=StringIO())
        assert counters.counters_audit() == []
        assert counters.library_usage(owner_id=owner.pk)["bytes"] == 10


@pytest.mark.django_db(transaction=True)
class TestCountersUnderRaces:
    @pytest.fixture(autouse=True)
    def _postgres_only(self):
        if connection.vendor != "postgresql":
            pytest.skip("row locking races are tested on PostgreSQL")

    def test_parallel_inserts_trashes_and_deletes_of_one_account_keep_it_exact(self):
        owner = UserFactory()
        made = [_picture(owner, stored_bytes=100 + i) for i in range(8)]

        def work(i: int) -> None:
            for round_ in range(5):
                _picture(owner, stored_bytes=i * 10 + round_, taken_at=None)
            picture = made[i]
            Image.objects.filter(pk=picture.pk).update(trashed_at=timezone.now())
            if i % 2:
                Image.objects.filter(pk=picture.pk).delete()
            else:
                Image.objects.filter(pk=picture.pk).update(trashed_at=None)

        in_parallel_n(8, work)
        assert counters.counters_audit(owner_ids=[owner.pk]) == []
        assert counters.library_usage(owner_id=owner.pk) == _expected_usage(owner)

    def test_albums_filled_emptied_and_trashed_at_once_keep_their_counts(self):
        owner = UserFactory()
        albums = [Album.objects.create(owner=owner, title=f"a{i}") for i in range(2)]
        pictures = [_picture(owner, keyed=False) for _ in range(12)]
        ids = [p.pk for p in pictures]

        def work(i: int) -> None:
            album = albums[i % 2]
            if i < 2:
                album_images_add(owner=owner, album=album, image_ids=ids)
            elif i < 4:
                album_images_remove(owner=owner, album=album, image_ids=ids[::3])
            elif i < 6:
                for pk in ids[i::4]:
                    image_trash(owner=owner, image_id=pk)
            else:
                for pk in ids[i - 6 :: 4]:
                    image_delete(owner=owner, image_id=pk)

        in_parallel_n(8, work)
        assert counters.counters_audit(owner_ids=[owner.pk]) == []
