"""Listing: newest first, cursor pages, filters, search, ordering and constant SQL per page."""

import datetime as dt
import uuid
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from images.models import Image
from users.models import User


def _make_images(owner: User, count: int, **fields) -> list[Image]:
    """Rows only: the list reads no files, so these need none."""
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    images = [
        Image(
            id=uuid.uuid4(),
            owner=owner,
            title=fields.get("title", f"image {i}"),
            style=fields.get("style", "none"),
            status=Image.Status.READY,
            original_filename=f"file{i}.jpg",
            format="JPEG",
            width=10,
            height=10,
            size=100,
            stored_bytes=300,
            checksum=f"{i:064x}",
            original_key=f"{owner.pk}/x{i}/original.jpg",
            processed_key=f"{owner.pk}/x{i}/processed.jpg",
            thumbnail_key=f"{owner.pk}/x{i}/thumbnail.jpg",
        )
        for i in range(count)
    ]
    Image.objects.bulk_create(images)
    for i, image in enumerate(images):
        Image.objects.filter(pk=image.pk).update(created_at=base + dt.timedelta(minutes=i))
    return images


class TestImageList:
    def test_newest_first(self, auth_client, user):
        images = _make_images(user, 3)
        response = auth_client.get(reverse("image-list"))
        ids = [item["id"] for item in response.json()["results"]]
        assert ids == [str(i.pk) for i in reversed(images)]

    def test_ordering_oldest_first(self, auth_client, user):
        images = _make_images(user, 3)
        response = auth_client.get(reverse("image-list"), {"ordering": "created_at"})
        assert [item["id"] for item in response.json()["results"]] == [str(i.pk) for i in images]

    def test_cursor_pages_cover_everything_once(self, auth_client, user):
        images = _make_images(user, 7)
        seen: list[str] = []
        url, params = reverse("image-list"), {"page_size": 3}
        while True:
            body = auth_client.get(url, params).json()
            assert "count" not in body
            seen += [item["id"] for item in body["results"]]
            if not body["next"]:
                break
            params = {k: v[0] for k, v in parse_qs(urlsplit(body["next"]).query).items()}
        assert seen == [str(i.pk) for i in reversed(images)]

    def test_page_size_is_capped_at_100(self, auth_client, user):
        _make_images(user, 105)
        body = auth_client.get(reverse("image-list"), {"page_size": 500}).json()
        assert len(body["results"]) == 100

    def test_default_page_size_is_20(self, auth_client, user):
        _make_images(user, 25)
        assert len(auth_client.get(reverse("image-list")).json()["results"]) == 20

    def test_invalid_cursor_is_404_json(self, auth_client, user):
        response = auth_client.get(reverse("image-list"), {"cursor": "not-a-cursor"})
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["detail"]

    def test_filter_by_style_and_status(self, auth_client, user):
        _make_images(user, 2, style="sepia")
        _make_images(user, 3, style="blur")
        body = auth_client.get(reverse("image-list"), {"style": "sepia", "status": "ready"}).json()
        assert len(body["results"]) == 2
        assert {item["style"] for item in body["results"]} == {"sepia"}

    def test_filter_with_unknown_style_is_400(self, auth_client, user):
        response = auth_client.get(reverse("image-list"), {"style": "nope"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "style" in response.json()

    def test_filter_by_creation_window(self, auth_client, user):
        images = _make_images(user, 5)
        body = auth_client.get(
            reverse("image-list"),
            {"created_after": "2026-01-01T00:01:00Z", "created_before": "2026-01-01T00:03:00Z"},
        ).json()
        assert [item["id"] for item in body["results"]] == [str(images[2].pk), str(images[1].pk)]

    def test_invalid_date_is_400(self, auth_client, user):
        response = auth_client.get(reverse("image-list"), {"created_after": "yesterday"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "created_after" in response.json()

    def test_filter_by_checksum_any_case(self, auth_client, user):
        images = _make_images(user, 3)
        body = auth_client.get(
            reverse("image-list"), {"checksum": images[1].checksum.upper()}
        ).json()
        assert [item["id"] for item in body["results"]] == [str(images[1].pk)]

    def test_search_title_and_filename(self, auth_client, user):
        _make_images(user, 2)
        Image.objects.filter(title="image 0").update(title="Sunset over Lisbon")
        by_title = auth_client.get(reverse("image-list"), {"search": "lisbon"}).json()
        by_name = auth_client.get(reverse("image-list"), {"search": "file1"}).json()
        assert [i["title"] for i in by_title["results"]] == ["Sunset over Lisbon"]
        assert [i["original_filename"] for i in by_name["results"]] == ["file1.jpg"]


class TestImageListQueries:
    @pytest.mark.parametrize("page_size", [1, 20, 100])
    def test_query_count_is_constant_in_gallery_and_page_size(
        self, auth_client, user, other_user, page_size
    ):
        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                response = auth_client.get(reverse("image-list"), {"page_size": page_size})
            assert response.status_code == HTTPStatus.OK
            return len(ctx.captured_queries)

        _make_images(user, 5)
        _make_images(other_user, 5)
        small = count_queries()
        _make_images(user, 45)
        large = count_queries()
        assert small == large == 2  # the token's user, then one page of images


class TestImageListOrdering:
    def test_unknown_ordering_is_400_naming_the_valid_ones(self, auth_client, user):
        response = auth_client.get(reverse("image-list"), {"ordering": "title"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "-created_at" in response.json()["ordering"][0]
