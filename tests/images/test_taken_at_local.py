"""The camera's local time in API bodies (#18.22): ``taken_at_local`` and ``taken_at_offset``.

``taken_at`` stays the UTC instant; ``taken_at_local`` is the wall-clock time the camera
showed, with its offset where the file said (EXIF ``OffsetTimeOriginal``) and without one
where it did not; ``taken_at_offset`` is that offset (``"+02:00"``) or null. The owner sees
them on every image body; a link's visitor only where the link shows metadata.
"""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from images.models import Image
from tests.images.test_taken_at import photo

pytestmark = pytest.mark.django_db


def _detail(client, image_id: str) -> dict:
    response = client.get(reverse("image-detail", kwargs={"pk": image_id}))
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _shared_item(auth_client, image_id: str, **options) -> dict:
    response = auth_client.post(
        reverse("share-list"), {"image_ids": [image_id], **options}, format="json"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    page = APIClient().get(reverse("shared-detail", kwargs={"token": response.json()["token"]}))
    [item] = page.json()["results"]
    return item


class TestOwnersImageBody:
    def test_a_photo_with_an_offset_shows_the_cameras_local_time(self, auth_client, upload):
        image = upload(photo(taken="2024:05:01 18:32:00", offset="+02:00"))
        body = _detail(auth_client, image["id"])
        assert body["taken_at"] == "2024-05-01T16:32:00Z"
        assert body["taken_at_local"] == "2024-05-01T18:32:00+02:00"
        assert body["taken_at_offset"] == "+02:00"
        listed = auth_client.get(reverse("image-list")).json()["results"][0]
        assert listed["taken_at_local"] == body["taken_at_local"]

    @pytest.mark.parametrize(
        ("minutes", "local", "offset"),
        [
            (-330, "2024-05-01T11:02:00-05:30", "-05:30"),
            (0, "2024-05-01T16:32:00+00:00", "+00:00"),
            (345, "2024-05-01T22:17:00+05:45", "+05:45"),
        ],
    )
    def test_any_offset_east_or_west(self, auth_client, upload, minutes, local, offset):
        image = upload()
        Image.objects.filter(pk=image["id"]).update(
            taken_at=datetime(2024, 5, 1, 16, 32, tzinfo=UTC), taken_at_offset=minutes
        )
        body = _detail(auth_client, image["id"])
        assert (body["taken_at_local"], body["taken_at_offset"]) == (local, offset)

    def test_a_photo_without_an_offset_has_a_local_time_without_one(self, auth_client, upload):
        image = upload(photo(taken="2024:05:01 18:32:00"))
        body = _detail(auth_client, image["id"])
        assert body["taken_at"] == "2024-05-01T18:32:00Z"  # the camera's clock read as UTC
        assert body["taken_at_local"] == "2024-05-01T18:32:00"
        assert body["taken_at_offset"] is None

    def test_no_date_no_local_time(self, auth_client, upload):
        body = _detail(auth_client, upload()["id"])
        assert (body["taken_at"], body["taken_at_local"], body["taken_at_offset"]) == (
            None,
            None,
            None,
        )


class TestLinkVisitor:
    def test_shown_where_the_link_shows_metadata(self, auth_client, upload):
        image = upload(photo(taken="2024:05:01 18:32:00", offset="+02:00"))
        item = _shared_item(auth_client, image["id"], show_metadata=True)
        assert item["taken_at"] == "2024-05-01T16:32:00Z"
        assert item["taken_at_local"] == "2024-05-01T18:32:00+02:00"
        assert item["taken_at_offset"] == "+02:00"

    def test_hidden_where_it_does_not(self, auth_client, upload):
        image = upload(photo(taken="2024:05:01 18:32:00", offset="+02:00"))
        item = _shared_item(auth_client, image["id"])
        assert not {"taken_at", "taken_at_local", "taken_at_offset"} & set(item)
