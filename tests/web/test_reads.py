"""The pages' reads (``web.reads``) answer as the API's lists do, for the same parameters.

The pages no longer run the API's views; they call the selectors, filter, paginations and
serializers those views call. These tests hold the two to one answer: the same pictures in
the same order, the same next cursor, a refusal where the API answers 400 and the page's 404
where it answers 404.
"""

from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from images.models import Image
from tests.web.test_pages import gallery  # noqa: F401  (a fixture)
from web import reads

pytestmark = pytest.mark.django_db


def cursor_of(link: str | None) -> str | None:
    return parse_qs(urlsplit(link).query)["cursor"][0] if link else None


def page_request(user):
    request = RequestFactory().get(reverse("home"))
    request.user = user
    return request


def api_list(auth_client, params: dict[str, str]):
    return auth_client.get(reverse("image-list"), params)


def read(user, params: dict[str, str], size: int):
    return reads.image_page_read(
        request=page_request(user),
        filters=params,
        ordering=params.get("ordering"),
        cursor=params.get("cursor"),
        size=size,
    )


@pytest.fixture
def varied(gallery, auth_client):  # noqa: F811
    """The gallery with a favourite and dates taken (one left undated)."""
    images = gallery["images"]
    auth_client.patch(
        reverse("image-detail", kwargs={"pk": images[2]["id"]}), {"is_favorite": True}, "json"
    )
    for image, day in ((images[0], 2), (images[2], 1)):
        Image.objects.filter(pk=image["id"]).update(
            taken_at=datetime(2024, 5, day, 12, 0, tzinfo=UTC)
        )
    return gallery


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "created_at"},
        {"ordering": "-taken_at"},
        {"ordering": "taken_at"},
        {"ordering": " created_at"},
        {"ordering": "--created_at"},
        {"ordering": "size"},
        {"ordering": "-created_at,taken_at"},
        {"ordering": "-"},
        {"style": "none"},
        {"style": "no-such-style"},
        {"is_favorite": "true"},
        {"is_favorite": "maybe"},
        {"album": "not-a-uuid"},
        {"cursor": "garbage"},
        {"cursor": "cD1nYXJiYWdl"},
    ],
    ids=repr,
)
def test_a_page_of_the_gallery_is_the_api_lists_page(user, auth_client, varied, params):
    answer = api_list(auth_client, {**params, "page_size": "2"})
    if answer.status_code == HTTPStatus.BAD_REQUEST:
        with pytest.raises(reads.ListRefused):
            read(user, params, 2)
        return
    if answer.status_code == HTTPStatus.NOT_FOUND:
        with pytest.raises(Http404):
            read(user, params, 2)
        return
    assert answer.status_code == HTTPStatus.OK
    page = read(user, params, 2)
    assert [item["id"] for item in page.results] == [
        item["id"] for item in answer.json()["results"]
    ]
    assert cursor_of(page.next) == cursor_of(answer.json()["next"])


@pytest.mark.parametrize("ordering", ["-created_at", "created_at", "-taken_at", "taken_at"])
def test_walking_the_gallery_a_picture_at_a_time_is_the_apis_walk(
    user, auth_client, varied, ordering
):
    page_cursor = api_cursor = None
    walked = []
    for _step in range(5):
        params = {"ordering": ordering, **({"cursor": api_cursor} if api_cursor else {})}
        answer = api_list(auth_client, {**params, "page_size": "1"}).json()
        page = read(
            user, {"ordering": ordering, **({"cursor": page_cursor} if page_cursor else {})}, 1
        )
        assert [i["id"] for i in page.results] == [i["id"] for i in answer["results"]]
        walked += [i["id"] for i in page.results]
        page_cursor, api_cursor = cursor_of(page.next), cursor_of(answer["next"])
        assert page_cursor == api_cursor
        if page_cursor is None:
            break
    assert len(walked) == len(varied["images"])


def test_another_accounts_album_is_the_pages_404(other_user, varied):
    with pytest.raises(Http404):
        read(other_user, {"album": varied["album"]["id"]}, 2)


def test_the_image_and_album_details_are_the_apis(user, auth_client, varied):
    image_id, album_id = varied["images"][1]["id"], varied["album"]["id"]
    page = reads.image_detail_read(request=page_request(user), image_id=image_id)
    api = auth_client.get(reverse("image-detail", kwargs={"pk": image_id})).json()
    assert {k: v for k, v in page.items() if k != "urls"} == {
        k: v for k, v in api.items() if k != "urls"
    }
    assert page["urls"].keys() == api["urls"].keys()
    album = reads.album_detail_read(request=page_request(user), album_id=album_id)
    api_album = auth_client.get(reverse("album-detail", kwargs={"pk": album_id})).json()
    assert {k: v for k, v in album.items() if k != "cover_thumbnail"} == {
        k: v for k, v in api_album.items() if k != "cover_thumbnail"
    }
