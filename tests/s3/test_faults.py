"""S3 unreachable mid-change (#12): a JSON 503 or a render that waits, never a 500, nothing lost.

"Unreachable" is the real thing: the storage is pointed at a loopback port nothing listens
on, so every request to S3 fails to connect, as when the S3 server is down.
"""

import io
import socket
from http import HTTPStatus

import pytest
from botocore.config import Config
from django.core.management import CommandError, call_command
from django.urls import reverse

from images.models import Image
from tests.factories import image_bytes, upload_request
from tests.s3.conftest import s3_storage_options


def _dead_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def s3_down(settings, s3_storage):
    """Calling it makes S3 unreachable; calling the function it returns brings S3 back."""

    def _down():
        live = settings.STORAGES["default"]
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": live["BACKEND"],
                "OPTIONS": s3_storage_options(
                    s3_storage,
                    endpoint_url=_dead_endpoint(),
                    client_config=Config(
                        connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}
                    ),
                ),
            },
        }

        def _up():
            settings.STORAGES = {**settings.STORAGES, "default": live}

        return _up

    return _down


def _upload(client):
    return upload_request(client, image_bytes("PNG"), name="a.png", style="sepia")


def test_an_upload_while_s3_is_down_is_a_503_and_keeps_nothing(auth_client, s3_down, s3_storage):
    s3_down()
    response = _upload(auth_client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert response.json()["code"] == "service_unavailable"
    assert not Image.objects.exists()
    assert s3_storage.object_keys() == set()


def test_a_restyle_while_s3_is_down_waits_and_the_sweep_finishes_it(
    auth_client, s3_down, s3_storage, django_capture_on_commit_callbacks
):
    image = _upload(auth_client).json()
    assert image["status"] == "ready"
    before = s3_storage.object_keys()

    up = s3_down()
    response = auth_client.patch(
        reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "pending"

    up()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep", "--older-than", "0", stdout=io.StringIO())

    done = Image.objects.get(pk=image["id"])
    assert (done.status, done.rendered_style) == ("ready", "invert")
    assert s3_storage.object_keys() == set(done.storage_keys)
    assert s3_storage.object_keys() != before


def test_a_delete_while_s3_is_down_still_deletes_and_the_audit_finds_what_is_left(
    auth_client, s3_down, s3_storage, django_capture_on_commit_callbacks
):
    image = _upload(auth_client).json()
    stored = len(Image.objects.get(pk=image["id"]).storage_keys)
    up = s3_down()
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(
            reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
        )
    assert response.status_code == HTTPStatus.NO_CONTENT
    up()
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"{stored} orphan"):
        call_command("storage_audit", stdout=out)
    # The row is gone; its objects (the original and every rendition) wait for the sweep
    # (or storage_audit --fix).
    assert not Image.objects.filter(pk=image["id"]).exists()
