"""The periodic sweep purges the trash on time: run with a moved clock, through real files.

Images go to the trash through the API; the clock is "moved" by setting how long ago each
went there (``trashed_at``, through the ORM). The Celery task ``images.sweep`` then runs
in-process, as beat would have it run, with ``ATELIER_TRASH_DAYS`` overridden. Exactly the
images past their time go, rows and files; the rest stay, and albums and share links (which
only ever show live images) no longer name the purged ones once the others are restored.
"""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from images.models import AlbumImage, Image, ShareImage
from images.tasks import sweep
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

TRASH_DAYS = 7
# How long ago each image went to the trash, in the moved clock; None: never trashed.
AGES = {
    "long_gone": timedelta(days=40),
    "just_past": timedelta(days=TRASH_DAYS, minutes=5),
    "not_yet": timedelta(days=TRASH_DAYS) - timedelta(minutes=5),
    "fresh": timedelta(0),
    "live": None,
}
EXPIRED = {"long_gone", "just_past"}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def run_sweep() -> dict[str, int]:
    """The periodic task, run in-process through Celery's own ``apply`` (as a worker would)."""
    return sweep.apply().get()


@pytest.fixture
def trash_days(settings) -> int:
    settings.ATELIER_TRASH_DAYS = TRASH_DAYS
    return TRASH_DAYS


@pytest.fixture
def gallery(auth_client, upload, trash_days) -> dict:
    """Five images, all in one album and one list link, trashed at the ``AGES`` given."""
    images = {
        name: upload(image_bytes(color=(n * 40, 10, 10)), title=name) for n, name in enumerate(AGES)
    }
    ids = [image["id"] for image in images.values()]
    album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
    auth_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}), {"image_ids": ids}, format="json"
    )
    by_album = auth_client.post(reverse("share-list"), {"album": album["id"]}, format="json")
    by_list = auth_client.post(reverse("share-list"), {"image_ids": ids}, format="json")
    # Signed share URLs handed out while everything was live: a purged image's must die.
    page = APIClient().get(_path(by_list.json()["api_url"])).json()["results"]
    thumbnails = {item["id"]: item["urls"]["thumbnail"] for item in page}
    now = timezone.now()
    for name, age in AGES.items():
        if age is None:
            continue
        response = auth_client.delete(reverse("image-detail", kwargs={"pk": images[name]["id"]}))
        assert response.status_code == HTTPStatus.NO_CONTENT
        Image.objects.filter(pk=images[name]["id"]).update(trashed_at=now - age)
    return {
        "ids": {name: image["id"] for name, image in images.items()},
        "keys": {
            name: Image.objects.get(pk=image["id"]).storage_keys for name, image in images.items()
        },
        "album": album,
        "shares": [by_album.json(), by_list.json()],
        "thumbnails": thumbnails,
    }


def test_sweep_is_the_task_beat_runs():
    assert "images.sweep" in {
        entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert sweep.name == "images.sweep"


def test_exactly_the_images_past_their_time_go_rows_and_files(
    gallery, assert_storage_consistent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = run_sweep()

    assert result["trash_purged"] == len(EXPIRED)
    remaining = {str(pk) for pk in Image.objects.values_list("id", flat=True)}
    assert remaining == {gallery["ids"][name] for name in AGES if name not in EXPIRED}
    for name, keys in gallery["keys"].items():
        # The original; processed, preview and thumbnail, each as JPEG, AVIF and WebP.
        assert len(keys) == 10, name
        for key in keys:
            assert default_storage.exists(key) == (name not in EXPIRED), (name, key)
    assert_storage_consistent()


def test_trash_list_promised_purge_at_is_when_it_goes(auth_client, gallery):
    trash = auth_client.get(reverse("trash-list"), {"page_size": 100}).json()["results"]
    assert {item["title"] for item in trash} == {n for n, age in AGES.items() if age is not None}
    now = timezone.now()
    for item in trash:
        trashed_at, purge_at = parse_datetime(item["trashed_at"]), parse_datetime(item["purge_at"])
        assert purge_at - trashed_at == timedelta(days=TRASH_DAYS)
        assert (purge_at <= now) == (item["title"] in EXPIRED), item

    run_sweep()

    trash = auth_client.get(reverse("trash-list"), {"page_size": 100}).json()["results"]
    assert {item["title"] for item in trash} == {"not_yet", "fresh"}


def test_albums_and_links_no_longer_name_the_purged(
    auth_client, api_client, gallery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_sweep()
    ids = gallery["ids"]
    # Everything still in the trash comes back: only the purged stay out of every list.
    for name in ("not_yet", "fresh"):
        response = auth_client.post(reverse("trash-restore", kwargs={"pk": ids[name]}))
        assert response.status_code == HTTPStatus.OK, response.content
    kept = {ids[name] for name in AGES if name not in EXPIRED}

    album = auth_client.get(reverse("album-detail", kwargs={"pk": gallery["album"]["id"]})).json()
    assert album["image_count"] == len(kept)
    in_album = auth_client.get(reverse("image-list"), {"album": album["id"], "page_size": 100})
    assert {item["id"] for item in in_album.json()["results"]} == kept
    assert set(str(pk) for pk in AlbumImage.objects.values_list("image_id", flat=True)) == kept

    for share in gallery["shares"]:
        page = api_client.get(_path(share["api_url"]), {"page_size": 100})
        assert page.status_code == HTTPStatus.OK
        assert {item["id"] for item in page.json()["results"]} == kept
        owner_view = auth_client.get(reverse("share-detail", kwargs={"pk": share["id"]})).json()
        if owner_view["image_ids"] is not None:
            assert set(owner_view["image_ids"]) == kept
    assert set(str(pk) for pk in ShareImage.objects.values_list("image_id", flat=True)) == kept

    for name, image_id in ids.items():
        url = gallery["thumbnails"][image_id]
        expected = HTTPStatus.NOT_FOUND if name in EXPIRED else HTTPStatus.OK
        assert api_client.get(_path(url)).status_code == expected, name


def test_a_link_whose_images_were_all_purged_shows_an_empty_page(
    auth_client, api_client, upload, trash_days
):
    image = upload()
    share = auth_client.post(
        reverse("share-list"), {"image_ids": [image["id"]]}, format="json"
    ).json()
    auth_client.delete(reverse("image-detail", kwargs={"pk": image["id"]}))
    Image.objects.update(trashed_at=timezone.now() - timedelta(days=TRASH_DAYS + 1))

    assert run_sweep()["trash_purged"] == 1

    page = api_client.get(_path(share["api_url"]))
    assert page.status_code == HTTPStatus.OK
    assert page.json()["results"] == []
    owner_view = auth_client.get(reverse("share-detail", kwargs={"pk": share["id"]})).json()
    assert owner_view["image_ids"] == []


@pytest.mark.parametrize(("days", "purged"), [(0, 4), (1, 3), (30, 1), (365, 0)])
def test_trash_days_decides_what_goes(gallery, settings, days, purged):
    settings.ATELIER_TRASH_DAYS = days
    assert run_sweep()["trash_purged"] == purged
    assert Image.objects.count() == len(AGES) - purged
    assert Image.objects.filter(trashed_at__isnull=True).count() == 1  # the live one stays


def test_a_second_sweep_finds_nothing_more(gallery):
    assert run_sweep()["trash_purged"] == len(EXPIRED)
    assert run_sweep()["trash_purged"] == 0


def test_a_backlog_larger_than_one_batch_is_purged_whole(user, trash_days):
    long_ago = timezone.now() - timedelta(days=TRASH_DAYS + 1)
    Image.objects.bulk_create(
        Image(
            owner=user,
            status=Image.Status.FAILED,  # a failed image keeps no files
            format="JPEG",
            width=1,
            height=1,
            size=1,
            checksum=f"{n:064x}",
            trashed_at=long_ago if n < 1201 else timezone.now(),
        )
        for n in range(1210)
    )
    assert run_sweep()["trash_purged"] == 1201
    assert Image.objects.count() == 9
