"""A first end-to-end pass: register, log in, upload, list."""

from http import HTTPStatus

from django.urls import reverse


def test_upload_then_list_shows_the_image(auth_client, upload, assert_storage_consistent):
    body = upload(style="sepia", title="first")
    response = auth_client.get(reverse("image-list"))
    assert response.status_code == HTTPStatus.OK
    assert [item["id"] for item in response.json()["results"]] == [body["id"]]
    assert_storage_consistent()
