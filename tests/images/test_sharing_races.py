"""Albums, share links and the trash racing deletes on PostgreSQL, with real threads.

Each thread is its own client on its own database connection, against committed rows
(``transaction=True``), released together (``tests.parallel``): what is tested is the
services' locking, not the test's ordering. After every race: no 500, every answer one a
client can act on, rows that agree with each other (no membership or link naming an image
or album that is gone, no duplicate), and the storage audit clean. Each race runs several
times with the second request a little later each time, to sweep the interleavings.

Free-running races find a bad interleaving only some of the time. Where one was found, a
second test forces it every time: a transaction of the test's own holds one row locked
(as a slow request would), so the two requests reach their steps in a known order.
"""

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, Image, Share, ShareImage
from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, RENDER_WAIT_SECONDS
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request
from tests.parallel import in_parallel
from users.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIES = 8


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-locking races are tested on PostgreSQL")


@pytest.fixture
def clients(request) -> Callable[[int], list[APIClient]]:
    """``count`` clients of one fresh account, each for its own thread (a 500 is answered)."""

    def make(count: int) -> list[APIClient]:
        username = f"racer-{request.node.name}"[:150]
        UserFactory(username=username)
        token = (
            APIClient()
            .post(reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD})
            .json()["access"]
        )
        made = []
        for _ in range(count):
            client = APIClient(raise_request_exception=False)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            made.append(client)
        return made

    return make


def upload(client: APIClient, seed: int) -> str:
    data = image_bytes("PNG", size=(48, 32), color=(seed % 256, 60, 90))
    response = upload_request(client, data, name=f"{seed}.png")
    assert response.status_code == HTTPStatus.CREATED, response.content
    if ON_S3_STACK:
        # A link shows rendered images only: on the stack, wait for the worker's render.
        renders_settle(timeout=RENDER_WAIT_SECONDS)
    return response.json()["id"]


def album_with(client: APIClient, image_ids: list[str]) -> str:
    album = client.post(reverse("album-list"), {"title": "Race"}, format="json").json()["id"]
    if image_ids:
        response = client.put(album_images(album), {"image_ids": image_ids}, format="json")
        assert response.status_code == HTTPStatus.OK, response.content
    return album


def album_images(album_id: str) -> str:
    return reverse("album-images", kwargs={"pk": album_id})


def forever(image_url: str) -> str:
    """``DELETE images/{id}/`` for good, not to the trash."""
    return f"{image_url}?permanent=true"


def delayed(seconds: float, work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        time.sleep(seconds)
        return work()

    return run


def answered(response, *allowed: HTTPStatus) -> None:
    """Not a 500, one of ``allowed``, and JSON when it is an error."""
    assert response.status_code in allowed, (response.status_code, response.content[:500])
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        assert response["Content-Type"].startswith("application/json"), response.content[:300]


def results(response) -> dict[str, str]:
    return {row["image_id"]: row["result"] for row in response.json()["results"]}


def assert_rows_agree() -> None:
    """Every membership and link names a live row; album summaries count what exists."""
    assert not AlbumImage.objects.exclude(image__in=Image.objects.all()).exists()
    assert not AlbumImage.objects.exclude(album__in=Album.objects.all()).exists()
    assert not ShareImage.objects.exclude(image__in=Image.objects.all()).exists()
    assert (
        not Share.objects.filter(album__isnull=False)
        .exclude(album__in=Album.objects.all())
        .exists()
    )
    assert (
        not Album.objects.filter(cover__isnull=False)
        .exclude(cover__in=Image.objects.all())
        .exists()
    )


@pytest.mark.parametrize("as_cover", [False, True], ids=["member", "cover"])
@pytest.mark.parametrize("try_", range(TRIES))
def test_album_add_racing_the_permanent_delete_of_the_image(
    clients, media_root, assert_storage_consistent, as_cover, try_
):
    """Adding an image while it is deleted for good: added-then-deleted, or not found.

    As the album's cover, the delete must also clear the album's cover while the add holds
    the album: both lock the album and the image, in opposite orders unless they agree.
    """
    adder, deleter, setup = clients(3)
    target, other = upload(setup, 2 * try_), upload(setup, 2 * try_ + 1)
    album = album_with(setup, [target] if as_cover else [])
    if as_cover:
        response = setup.patch(
            reverse("album-detail", kwargs={"pk": album}), {"cover_image": target}, format="json"
        )
        assert response.status_code == HTTPStatus.OK, response.content
    image_url = reverse("image-detail", kwargs={"pk": target})

    added, deleted = in_parallel(
        lambda: adder.put(album_images(album), {"image_ids": [other, target]}, format="json"),
        delayed(0.005 * try_, lambda: deleter.delete(forever(image_url))),
    )

    answered(deleted, HTTPStatus.NO_CONTENT)
    answered(added, HTTPStatus.OK)
    assert results(added)[other] == "added"
    expected = {"already_in_album", "not_found"} if as_cover else {"added", "not_found"}
    assert results(added)[target] in expected
    assert not Image.objects.filter(pk=target).exists()
    assert list(AlbumImage.objects.values_list("image_id", flat=True)) == [
        Image.objects.get(pk=other).pk
    ]
    summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
    assert summary["image_count"] == 1
    assert summary["cover_image"] == other
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_share_create_racing_the_permanent_delete_of_its_image(
    clients, media_root, assert_storage_consistent, try_
):
    sharer, deleter, setup = clients(3)
    target, other = upload(setup, 2 * try_), upload(setup, 2 * try_ + 1)
    image_url = reverse("image-detail", kwargs={"pk": target})

    created, deleted = in_parallel(
        lambda: sharer.post(reverse("share-list"), {"image_ids": [other, target]}, format="json"),
        delayed(0.005 * try_, lambda: deleter.delete(forever(image_url))),
    )

    answered(deleted, HTTPStatus.NO_CONTENT)
    answered(created, HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST)
    if created.status_code == HTTPStatus.BAD_REQUEST:
        # Refused whole: a link is made of all the images it names, or not at all.
        assert "image_ids" in created.json()
        assert not Share.objects.exists()
    else:
        share = created.json()
        owner_view = setup.get(reverse("share-detail", kwargs={"pk": share["id"]})).json()
        assert owner_view["image_ids"] == [other]
        parts = urlsplit(share["api_url"])
        page = APIClient().get(parts.path)
        assert page.status_code == HTTPStatus.OK
        assert [item["id"] for item in page.json()["results"]] == [other]
    assert not Image.objects.filter(pk=target).exists()
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_two_trash_empties_racing_a_restore(clients, media_root, assert_storage_consistent, try_):
    first, second, restorer, setup = clients(4)
    ids = [upload(setup, n) for n in range(3)]
    album = album_with(setup, ids)
    share = setup.post(reverse("share-list"), {"image_ids": ids}, format="json").json()
    for image_id in ids:
        trashed = setup.delete(reverse("image-detail", kwargs={"pk": image_id}))
        assert trashed.status_code == HTTPStatus.NO_CONTENT
    rescued = ids[try_ % 3]

    emptied_a, emptied_b, restored = in_parallel(
        lambda: first.post(reverse("trash-empty")),
        lambda: second.post(reverse("trash-empty")),
        delayed(
            0.003 * try_, lambda: restorer.post(reverse("trash-restore", kwargs={"pk": rescued}))
        ),
    )

    answered(emptied_a, HTTPStatus.OK)
    answered(emptied_b, HTTPStatus.OK)
    answered(restored, HTTPStatus.OK, HTTPStatus.NOT_FOUND)
    came_back = restored.status_code == HTTPStatus.OK
    purged = emptied_a.json()["purged"] + emptied_b.json()["purged"]
    assert purged == len(ids) - came_back  # each image purged once, by one of the two
    survivors = {str(pk) for pk in Image.objects.values_list("id", flat=True)}
    assert survivors == ({rescued} if came_back else set())
    assert not Image.objects.filter(trashed_at__isnull=False).exists()
    # The restored image is back in its album and its link; the purged are in neither.
    members = {str(pk) for pk in AlbumImage.objects.values_list("image_id", flat=True)}
    assert members == survivors
    summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
    assert summary["image_count"] == len(survivors)
    owner_view = setup.get(reverse("share-detail", kwargs={"pk": share["id"]})).json()
    assert set(owner_view["image_ids"]) == survivors
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES // 2))
def test_parallel_puts_of_the_same_ids_into_one_album(
    clients, media_root, assert_storage_consistent, try_
):
    *adders, setup = clients(6)
    ids = [upload(setup, n) for n in range(5)]
    album = album_with(setup, [])
    # Every thread names every id, in its own order, some twice over.
    bodies = [{"image_ids": ids[n:] + ids[:n] + ids[:1]} for n in range(len(adders))]

    responses = in_parallel(
        *(
            lambda client=client, body=body: client.put(album_images(album), body, format="json")
            for client, body in zip(adders, bodies, strict=True)
        )
    )

    for response in responses:
        answered(response, HTTPStatus.OK)
        assert sorted(results(response)) == sorted(ids)  # one answer per id, duplicates folded
    for image_id in ids:
        outcomes = [results(response)[image_id] for response in responses]
        assert outcomes.count("added") == 1, (image_id, outcomes)
        assert outcomes.count("already_in_album") == len(adders) - 1, (image_id, outcomes)
    assert AlbumImage.objects.count() == len(ids)
    summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
    assert summary["image_count"] == len(ids)
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_album_delete_racing_album_adds(clients, media_root, assert_storage_consistent, try_):
    """The album goes, with every membership: an add either landed before (and went with
    it) or finds no album (404); a membership of a deleted album must never survive."""
    deleter, *adders, setup = clients(5)
    ids = [upload(setup, n) for n in range(3)]
    album = album_with(setup, ids[:1])

    deleted, *added = in_parallel(
        lambda: deleter.delete(reverse("album-detail", kwargs={"pk": album})),
        *(
            delayed(
                0.003 * try_,
                lambda client=client, image_id=image_id: client.put(
                    album_images(album), {"image_ids": [image_id]}, format="json"
                ),
            )
            for client, image_id in zip(adders, ids, strict=True)
        ),
    )

    answered(deleted, HTTPStatus.NO_CONTENT)
    for response in added:
        answered(response, HTTPStatus.OK, HTTPStatus.NOT_FOUND)
    assert not Album.objects.exists()
    assert not AlbumImage.objects.exists()
    assert Image.objects.count() == len(ids)  # deleting an album keeps its images
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_album_delete_racing_a_share_of_it(clients, media_root, assert_storage_consistent, try_):
    """Deleting an album revokes its links: a link made meanwhile must not outlive it."""
    deleter, sharer, setup = clients(3)
    album = album_with(setup, [upload(setup, try_)])

    deleted, created = in_parallel(
        lambda: deleter.delete(reverse("album-detail", kwargs={"pk": album})),
        delayed(
            0.003 * try_,
            lambda: sharer.post(reverse("share-list"), {"album": album}, format="json"),
        ),
    )

    answered(deleted, HTTPStatus.NO_CONTENT)
    answered(created, HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST)
    assert not Album.objects.exists()
    assert not Share.objects.exists()
    if created.status_code == HTTPStatus.CREATED:
        page = APIClient().get(urlsplit(created.json()["api_url"]).path)
        assert page.status_code == HTTPStatus.NOT_FOUND
    assert_rows_agree()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_album_cover_set_racing_the_permanent_delete_of_that_image(
    clients, media_root, assert_storage_consistent, try_
):
    """A cover chosen as its image is deleted for good: set-then-cleared, or refused (400)."""
    chooser, deleter, setup = clients(3)
    target, other = upload(setup, 2 * try_), upload(setup, 2 * try_ + 1)
    album = album_with(setup, [target, other])
    image_url = reverse("image-detail", kwargs={"pk": target})

    chosen, deleted = in_parallel(
        lambda: chooser.patch(
            reverse("album-detail", kwargs={"pk": album}), {"cover_image": target}, format="json"
        ),
        delayed(0.003 * try_, lambda: deleter.delete(forever(image_url))),
    )

    answered(deleted, HTTPStatus.NO_CONTENT)
    answered(chosen, HTTPStatus.OK, HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
    summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
    assert summary["image_count"] == 1
    assert summary["cover_image"] == other
    assert_rows_agree()
    assert_storage_consistent()


# --- the interleavings the free races found, forced every time -------------------------------


@contextmanager
def row_held(queryset: QuerySet) -> Iterator[None]:
    """Holds ``queryset``'s rows ``FOR UPDATE`` on a connection of its own until the block
    ends: a slow transaction the racing requests must wait for."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                assert list(queryset.select_for_update()), "nothing to hold"
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def lock_waits_reach(count: int, timeout: float = 10) -> None:
    """Waits until ``count`` sessions of this test database wait for a row or table lock."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            (waiting,) = cursor.fetchone()
        if waiting >= count:
            return
        assert time.monotonic() < deadline, f"{waiting} of {count} sessions ever waited"
        time.sleep(0.02)


def in_background(pool: ThreadPoolExecutor, work: Callable[[], object]) -> Future:
    def run() -> object:
        try:
            return work()
        finally:
            connections.close_all()

    return pool.submit(run)


class TestForcedInterleavings:
    def test_album_delete_while_an_add_holds_the_album(
        self, clients, media_root, assert_storage_consistent
    ):
        """The add locks the album, then waits for its image; the delete has already
        removed the album's memberships and waits for the album row; the add then inserts
        its membership and commits. The delete must not then fail (a 500) on that row."""
        deleter, adder, setup = clients(3)
        member, newcomer = upload(setup, 1), upload(setup, 2)
        album = album_with(setup, [member])
        with ThreadPoolExecutor(max_workers=2) as pool:
            with row_held(Image.objects.filter(pk=newcomer)):
                added = in_background(
                    pool,
                    lambda: adder.put(
                        album_images(album), {"image_ids": [newcomer]}, format="json"
                    ),
                )
                lock_waits_reach(1)
                deleted = in_background(
                    pool, lambda: deleter.delete(reverse("album-detail", kwargs={"pk": album}))
                )
                lock_waits_reach(2)
            added, deleted = added.result(timeout=30), deleted.result(timeout=30)

        answered(added, HTTPStatus.OK, HTTPStatus.NOT_FOUND)
        answered(deleted, HTTPStatus.NO_CONTENT)
        assert not Album.objects.exists()
        assert not AlbumImage.objects.exists()
        assert_rows_agree()
        assert_storage_consistent()

    def test_album_delete_while_a_share_of_it_commits(
        self, clients, media_root, assert_storage_consistent
    ):
        """The share locks the album and is committing (held at its foreign-key check on
        the owner's row); the delete waits for the album row, then goes ahead. No link may
        outlive its album, and neither request may fail with a 500."""
        deleter, sharer, setup = clients(3)
        album = album_with(setup, [upload(setup, 1)])
        with ThreadPoolExecutor(max_workers=2) as pool:
            with row_held(User.objects.filter(albums__pk=album)):
                created = in_background(
                    pool,
                    lambda: sharer.post(reverse("share-list"), {"album": album}, format="json"),
                )
                lock_waits_reach(1)
                deleted = in_background(
                    pool, lambda: deleter.delete(reverse("album-detail", kwargs={"pk": album}))
                )
                lock_waits_reach(2)
            created, deleted = created.result(timeout=30), deleted.result(timeout=30)

        answered(created, HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST)
        answered(deleted, HTTPStatus.NO_CONTENT)
        assert not Album.objects.exists()
        assert not Share.objects.exists()
        assert_rows_agree()
        assert_storage_consistent()

    def test_cover_chosen_while_its_image_is_deleted(
        self, clients, media_root, assert_storage_consistent
    ):
        """The delete holds the image and is removing its memberships (held on one); the
        cover change saw the membership, sets the cover and commits after the delete. The
        album must not end with a cover that is gone, nor the change with a 500."""
        chooser, deleter, setup = clients(3)
        target, other = upload(setup, 1), upload(setup, 2)
        album = album_with(setup, [target, other])
        with ThreadPoolExecutor(max_workers=2) as pool:
            with row_held(AlbumImage.objects.filter(image_id=target)):
                deleted = in_background(
                    pool,
                    lambda: deleter.delete(forever(reverse("image-detail", kwargs={"pk": target}))),
                )
                lock_waits_reach(1)
                chosen = in_background(
                    pool,
                    lambda: chooser.patch(
                        reverse("album-detail", kwargs={"pk": album}),
                        {"cover_image": target},
                        format="json",
                    ),
                )
                lock_waits_reach(2)
            deleted, chosen = deleted.result(timeout=30), chosen.result(timeout=30)

        answered(deleted, HTTPStatus.NO_CONTENT)
        answered(chosen, HTTPStatus.OK, HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
        summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
        assert summary["cover_image"] == other
        assert_rows_agree()
        assert_storage_consistent()

    def test_add_to_an_album_while_its_cover_image_is_deleted(
        self, clients, media_root, assert_storage_consistent
    ):
        """The delete holds the cover image (held on its membership); the add holds the
        album and waits for the image; the delete then clears the album's cover. Both lock
        album and image, in opposite orders: never a deadlock answered as a 500."""
        adder, deleter, setup = clients(3)
        target, other = upload(setup, 1), upload(setup, 2)
        album = album_with(setup, [target])
        response = setup.patch(
            reverse("album-detail", kwargs={"pk": album}), {"cover_image": target}, format="json"
        )
        assert response.status_code == HTTPStatus.OK, response.content
        with ThreadPoolExecutor(max_workers=2) as pool:
            with row_held(AlbumImage.objects.filter(image_id=target)):
                deleted = in_background(
                    pool,
                    lambda: deleter.delete(forever(reverse("image-detail", kwargs={"pk": target}))),
                )
                lock_waits_reach(1)
                added = in_background(
                    pool,
                    lambda: adder.put(
                        album_images(album), {"image_ids": [other, target]}, format="json"
                    ),
                )
                lock_waits_reach(2)
            deleted, added = deleted.result(timeout=30), added.result(timeout=30)

        answered(deleted, HTTPStatus.NO_CONTENT)
        answered(added, HTTPStatus.OK)
        assert results(added) == {other: "added", target: "not_found"}
        summary = setup.get(reverse("album-detail", kwargs={"pk": album})).json()
        assert summary["image_count"] == 1 and summary["cover_image"] == other
        assert_rows_agree()
        assert_storage_consistent()
