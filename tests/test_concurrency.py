"""Races on PostgreSQL: parallel deletes, uploads and refreshes stay consistent.

Each thread is a separate client with its own database connection, against committed data
(``transactional_db``), so the database's own locking is what is being tested.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Image
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request
from tests.parallel import in_parallel_n

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking races are tested on PostgreSQL")


def _login(username: str) -> tuple[APIClient, dict]:
    client = APIClient()
    tokens = client.post(
        reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def _upload(client: APIClient, seed: int):
    data = image_bytes("PNG", size=(32, 24), color=(seed % 256, 10, 10))
    return upload_request(client, data, name=f"{seed}.png", style="sepia")


def test_two_parallel_deletes_of_one_image(media_root, assert_storage_consistent):
    UserFactory(username="racer")
    client, _ = _login("racer")
    image_id = _upload(client, 1).json()["id"]
    url = reverse("image-detail", kwargs={"pk": image_id}) + "?permanent=true"

    statuses = in_parallel_n(2, lambda i: client.delete(url).status_code)

    assert sorted(statuses) == [HTTPStatus.NO_CONTENT, HTTPStatus.NOT_FOUND]
    assert not Image.objects.exists()
    assert_storage_consistent()


def test_two_parallel_moves_of_one_image_to_the_trash(media_root, assert_storage_consistent):
    UserFactory(username="racer")
    client, _ = _login("racer")
    image_id = _upload(client, 1).json()["id"]
    url = reverse("image-detail", kwargs={"pk": image_id})

    statuses = in_parallel_n(2, lambda i: client.delete(url).status_code)

    assert sorted(statuses) == [HTTPStatus.NO_CONTENT, HTTPStatus.NOT_FOUND]
    assert Image.objects.get().trashed_at is not None
    assert_storage_consistent()


def test_twenty_parallel_uploads_by_one_user(media_root, assert_storage_consistent):
    user = UserFactory(username="burst")
    client, _ = _login("burst")

    responses = in_parallel_n(20, lambda i: _upload(client, i))

    assert [r.status_code for r in responses] == [HTTPStatus.CREATED] * 20
    assert Image.objects.filter(owner=user).count() == 20
    assert_storage_consistent()


def test_parallel_uploads_cannot_overshoot_the_image_quota(media_root, assert_storage_consistent):
    user = UserFactory(username="quota", quota_images=5)
    client, _ = _login("quota")

    statuses = [r.status_code for r in in_parallel_n(10, lambda i: _upload(client, i))]

    assert statuses.count(HTTPStatus.CREATED) == 5
    assert statuses.count(HTTPStatus.FORBIDDEN) == 5
    assert Image.objects.filter(owner=user).count() == 5
    assert_storage_consistent()


def test_two_parallel_refreshes_with_one_token(db):
    UserFactory(username="twin")
    _, tokens = _login("twin")

    def refresh(i: int) -> int:
        return (
            APIClient()
            .post(reverse("auth-token-refresh"), {"refresh": tokens["refresh"]})
            .status_code
        )

    statuses = in_parallel_n(2, refresh)

    assert statuses.count(HTTPStatus.OK) <= 1
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.UNAUTHORIZED}
