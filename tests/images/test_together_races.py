"""Sharing between accounts racing itself on PostgreSQL, with real threads.

Each thread is its own client on its own connection against committed rows, released
together (``tests.parallel``). After every race: no 500, answers a client can act on, rows
that agree (no picture of someone who is no longer a member left in the album, no second
copy past a quota) and the storage audit clean.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, AlbumMember, Image, Partnership
from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, RENDER_WAIT_SECONDS
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request
from tests.parallel import in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIES = 4


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-locking races are tested on PostgreSQL")


def _client(username: str, **fields) -> tuple[APIClient, object]:
    user = UserFactory(username=username, **fields)
    token = (
        APIClient()
        .post(reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD})
        .json()["access"]
    )
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, user


def _upload(client: APIClient, seed: int) -> str:
    data = image_bytes("PNG", size=(48, 32), color=(seed % 256, 60, 90))
    response = upload_request(client, data, name=f"{seed}.png")
    assert response.status_code == HTTPStatus.CREATED, response.content
    if ON_S3_STACK:
        # What a save copies is rendered: on the stack, wait for the worker's render.
        renders_settle(timeout=RENDER_WAIT_SECONDS)
    return response.json()["id"]


def _no_server_error(*responses) -> None:
    for response in responses:
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.content


class TestSaveRaces:
    @pytest.mark.parametrize("attempt", range(TRIES))
    def test_two_saves_with_room_for_one_make_one_copy(self, attempt, assert_storage_consistent):
        owner, alice = _client(f"alice-{attempt}")
        saver, bob = _client(f"bob-{attempt}", quota_images=1)
        image_id = _upload(owner, attempt)
        Partnership.objects.create(grantor=alice, grantee=bob, accepted_at=timezone.now())
        url = reverse("partner-image-save", kwargs={"grantor_id": alice.pk, "image_id": image_id})
        first, second = in_parallel(lambda: saver.post(url), lambda: saver.post(url))
        _no_server_error(first, second)
        statuses = sorted([first.status_code, second.status_code])
        assert statuses[0] == HTTPStatus.CREATED, (first.content, second.content)
        assert statuses[1] in (HTTPStatus.FORBIDDEN, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        assert Image.objects.filter(owner=bob).count() == 1
        assert_storage_consistent()

    @pytest.mark.parametrize("attempt", range(TRIES))
    def test_a_save_racing_the_owners_deletion_leaves_no_stray_file(
        self, attempt, assert_storage_consistent
    ):
        owner, alice = _client(f"alice-{attempt}")
        saver, bob = _client(f"bob-{attempt}")
        image_id = _upload(owner, attempt)
        Partnership.objects.create(grantor=alice, grantee=bob, accepted_at=timezone.now())
        url = reverse("partner-image-save", kwargs={"grantor_id": alice.pk, "image_id": image_id})
        delete = reverse("image-detail", kwargs={"pk": image_id}) + "?permanent=true"
        saved, deleted = in_parallel(lambda: saver.post(url), lambda: owner.delete(delete))
        _no_server_error(saved, deleted)
        assert deleted.status_code == HTTPStatus.NO_CONTENT
        assert saved.status_code in (HTTPStatus.CREATED, HTTPStatus.NOT_FOUND), saved.content
        assert Image.objects.filter(owner=bob).count() == (
            1 if saved.status_code == HTTPStatus.CREATED else 0
        )
        assert_storage_consistent()


class TestMembershipRaces:
    @pytest.mark.parametrize("attempt", range(TRIES))
    def test_a_member_removed_while_adding_leaves_nothing_of_theirs_in_the_album(self, attempt):
        owner, alice = _client(f"alice-{attempt}")
        member, cora = _client(f"cora-{attempt}")
        album = Album.objects.create(owner=alice, title="Race")
        row = AlbumMember.objects.create(
            album=album, user=cora, role="contributor", accepted_at=timezone.now()
        )
        mine = [_upload(member, attempt * 10 + i) for i in range(3)]
        add = reverse("shared-album-images", kwargs={"album_id": album.pk})
        remove = reverse("album-member-detail", kwargs={"album_id": album.pk, "member_id": row.pk})
        added, removed = in_parallel(
            lambda: member.put(add, {"image_ids": mine}, format="json"),
            lambda: owner.delete(remove),
        )
        _no_server_error(added, removed)
        assert removed.status_code == HTTPStatus.NO_CONTENT
        assert added.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND), added.content
        assert not AlbumImage.objects.filter(album=album, image__owner=cora).exists()
        assert not AlbumMember.objects.filter(album=album, user=cora).exists()
