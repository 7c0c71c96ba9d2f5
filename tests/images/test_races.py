"""Writes racing each other on PostgreSQL, with real threads (#9 findings 12 and 16).

A restyle racing a delete of the same image, and an upload or restyle racing the deletion of
the whole account: every answer is one a client can act on (never a 500 or a misleading 503),
and the storage audit is clean afterwards: no orphaned file, no empty folder, no lost row.
Each race is run several times, as the original report needed tens of tries to see it.
"""

import time
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Image
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request
from tests.parallel import in_parallel
from users.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIES = 8
# What an account deletion needs besides the token.
PASSWORD = {"password": DEFAULT_PASSWORD}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-locking races are tested on PostgreSQL")


def client_for(username: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    tokens = client.post(
        reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def upload(client: APIClient, seed: int = 0):
    # Big enough that rendering takes a moment, so the two requests overlap.
    data = image_bytes("PNG", size=(600, 400), color=(seed % 256, 90, 30))
    return upload_request(client, data, name=f"{seed}.png")


def delayed(seconds: float, work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        time.sleep(seconds)
        return work()

    return run


@pytest.mark.parametrize("try_", range(TRIES))
def test_a_restyle_racing_a_delete_of_the_image(media_root, assert_storage_consistent, try_):
    UserFactory(username=f"racer{try_}")
    client = client_for(f"racer{try_}")
    image_id = upload(client, try_).json()["id"]
    url = reverse("image-detail", kwargs={"pk": image_id})

    restyled, deleted = in_parallel(
        lambda: client.patch(url, {"style": "cartoon"}),
        delayed(0.01 * try_, lambda: client.delete(url + "?permanent=true")),
    )

    assert deleted.status_code == HTTPStatus.NO_CONTENT
    # Either the restyle finished first, or it found the image gone: never 503 or 500.
    assert restyled.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND), restyled.content
    assert not Image.objects.filter(pk=image_id).exists()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_uploads_racing_the_deletion_of_their_account(media_root, assert_storage_consistent, try_):
    UserFactory(username=f"leaver{try_}")
    client = client_for(f"leaver{try_}")
    upload(client, 99)

    *uploads, deleted = in_parallel(
        *(lambda i=i: upload(client, i) for i in range(3)),
        delayed(0.02 * try_, lambda: client.post(reverse("users-me-delete"), PASSWORD)),
    )

    assert deleted.status_code == HTTPStatus.NO_CONTENT, deleted.content
    for response in uploads:
        assert response.status_code in (HTTPStatus.CREATED, HTTPStatus.UNAUTHORIZED), (
            response.content
        )
        assert response["Content-Type"].startswith("application/json")
    assert not User.objects.filter(username=f"leaver{try_}").exists()
    assert not Image.objects.exists()
    assert_storage_consistent()


@pytest.mark.parametrize("try_", range(TRIES))
def test_a_restyle_racing_the_deletion_of_its_account(media_root, assert_storage_consistent, try_):
    UserFactory(username=f"quitter{try_}")
    client = client_for(f"quitter{try_}")
    image_id = upload(client, try_).json()["id"]

    restyled, deleted = in_parallel(
        lambda: client.patch(reverse("image-detail", kwargs={"pk": image_id}), {"style": "blur"}),
        delayed(0.01 * try_, lambda: client.post(reverse("users-me-delete"), PASSWORD)),
    )

    assert deleted.status_code == HTTPStatus.NO_CONTENT, deleted.content
    assert restyled.status_code in (
        HTTPStatus.OK,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.UNAUTHORIZED,
    ), restyled.content
    assert not Image.objects.exists()
    assert_storage_consistent()
