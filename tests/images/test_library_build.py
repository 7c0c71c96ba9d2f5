"""``manage.py library_build``: the made-up library the big-library benchmark measures.

The benchmark's figures are only worth something if the library is a consistent one: accounts
that can log in, every picture where its account's counts say, albums holding their owner's
pictures, dates spread and not in insertion order.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from images.counters import counters_audit
from images.models import Album, AlbumImage, Image, image_timeline_at
from users.models import User

PASSWORD = "library-test-pass-phrase"
SIZES = {"images": 60, "albums": 2, "total": 150, "small": 20, "per_account": 40, "seed": 3}


def _build(**options) -> str:
    out = StringIO()
    call_command("library_build", password=PASSWORD, stdout=out, **{**SIZES, **options})
    return out.getvalue()


@pytest.mark.django_db
def test_builds_the_accounts_and_pictures_asked_for():
    _build()
    counts = dict(
        User.objects.filter(username__startswith="library")
        .annotate(n=Count("images"))
        .values_list("username", "n")
    )
    assert counts == {
        "library": 60,
        "library-small": 20,
        "library-0000": 40,
        "library-0001": 30,
    }
    assert Image.objects.count() == 150
    for user in User.objects.all():
        assert user.check_password(PASSWORD), user.username
        assert (user.quota_images or 0) > Image.objects.filter(owner=user).count()


@pytest.mark.django_db
def test_albums_hold_only_their_owners_pictures():
    _build()
    big = User.objects.get(username="library")
    assert Album.objects.filter(owner=big).count() == 2
    assert AlbumImage.objects.exclude(image__owner=F("album__owner")).count() == 0
    covers = Album.objects.exclude(cover=None)
    assert all(album.cover and album.cover.owner_id == album.owner_id for album in covers)
    assert not covers.filter(cover__trashed_at__isnull=False).exists()


@pytest.mark.django_db
def test_dates_and_places_are_spread_as_in_a_real_library():
    _build(images=200, total=240, small=20, per_account=20)
    big = Image.objects.filter(owner__username="library")
    stats = big.aggregate(
        undated=Count("id", filter=Q(taken_at__isnull=True)),
        offset=Count("id", filter=Q(taken_at_offset__isnull=False)),
    )
    assert 0 < stats["undated"] < 60
    assert stats["offset"] > 60
    years = {at.year for at in big.values_list("created_at", flat=True)}
    assert len(years) >= 8
    assert all(image.status == Image.Status.READY for image in big)
    assert all(image.metadata["camera_make"] for image in big)
    located = sum(1 for image in big if image.metadata["latitude"] is not None)
    assert 80 < located < 160


@pytest.mark.django_db
def test_refuses_to_build_over_a_library_unless_replacing():
    _build()
    with pytest.raises(CommandError, match="--replace"):
        _build()
    _build(replace=True, seed=4)
    assert Image.objects.count() == 150


@pytest.mark.django_db
def test_counters_timeline_and_places_agree_with_the_rows():
    _build()
    assert counters_audit() == []
    for image in Image.objects.all():
        assert image.timeline_at == image_timeline_at(image)
        if image.taken_at is None:
            assert image.timeline_at == image.created_at
        assert (image.latitude is None) == (image.place_city == "")
        assert image.latitude == image.metadata["latitude"]
    assert Image.objects.exclude(description="").exists()
