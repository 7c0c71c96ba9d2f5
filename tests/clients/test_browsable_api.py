"""A person uses DRF's browsable API in Chromium: logs in, uploads with the HTML form, browses.

Everything happens through the pages a browser gets (the login form, the upload form, the
links in the rendered JSON); only the other account's image is made beforehand through the API.
"""

import io
import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image as PILImage
from playwright.sync_api import Page, expect

from tests.clients.conftest import LiveApi
from tests.factories import DEFAULT_PASSWORD, image_bytes

pytestmark = pytest.mark.browser

SCREENSHOT = Path(settings.BASE_DIR) / "var" / "screenshots" / "browsable-list.png"


def shown_json(page: Page) -> object:
    """The response body the browsable API shows, parsed (it follows the status and headers)."""
    text = page.locator(".response-info pre").inner_text()
    _headers, _, body = text.partition("\n\n")
    return json.loads(body)


def log_in(page: Page, api: LiveApi, username: str) -> None:
    """Opens the gallery, follows its "Log in" link and logs in with the login form."""
    response = page.goto(api.url("image-list"))
    assert response is not None and response.status == HTTPStatus.UNAUTHORIZED
    expect(page.locator(".response-info")).to_contain_text("credentials were not provided")

    page.get_by_role("link", name="Log in").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.locator("#submit-id-submit").click()
    assert page.url == api.url("image-list")
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")
    expect(page.locator(".navbar")).to_contain_text(username)


def upload_with_html_form(page: Page, title: str, style: str) -> dict:
    """Fills the gallery's HTML upload form (file, style, title) and posts it."""
    form = page.locator("form[enctype='multipart/form-data']")
    form.locator("input[name='file']").set_input_files(
        {"name": "harbour.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(640, 480))}
    )
    form.locator("select[name='style']").select_option(style)
    form.locator("input[name='title']").fill(title)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        form.get_by_role("button", name="POST").click()
    assert answer.value.status == HTTPStatus.CREATED
    expect(page.locator(".response-info")).to_contain_text("HTTP 201 Created")
    body = shown_json(page)
    assert isinstance(body, dict)
    return body


def test_person_uploads_with_the_html_form_and_browses_only_their_gallery(
    page, live_api, user, other_client, upload
):
    strangers_image = upload(title="Not yours", client=other_client)

    log_in(page, live_api, user.username)
    created = upload_with_html_form(page, title="Harbour at dusk", style="sepia")
    assert created["title"] == "Harbour at dusk"
    assert created["style"] == "sepia"
    assert created["status"] == "ready"
    assert (created["width"], created["height"]) == (640, 480)

    page.goto(live_api.url("image-list"))
    listed = shown_json(page)
    assert isinstance(listed, dict)
    assert [item["id"] for item in listed["results"]] == [created["id"]]
    expect(page.locator(".response-info")).to_contain_text("Harbour at dusk")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    response = page.goto(live_api.url("image-detail", pk=created["id"]))
    assert response is not None and response.status == HTTPStatus.OK
    detail = shown_json(page)
    assert isinstance(detail, dict)
    thumbnail_link = page.locator(".response-info a", has_text="/thumbnail/")
    expect(thumbnail_link).to_have_attribute("href", detail["urls"]["thumbnail"])
    with page.expect_response(lambda r: r.url == detail["urls"]["thumbnail"]) as answer:
        thumbnail_link.click()
    thumbnail = answer.value
    assert thumbnail.status == HTTPStatus.OK
    # A browser names AVIF in its Accept and gets it (images.delivery negotiates the format).
    assert thumbnail.headers["content-type"] == "image/avif"
    with PILImage.open(io.BytesIO(thumbnail.body())) as decoded:
        assert decoded.format == "AVIF"
        assert min(decoded.size) == settings.ATELIER["THUMBNAIL_EDGE"]

    response = page.goto(live_api.url("image-detail", pk=strangers_image["id"]))
    assert response is not None and response.status == HTTPStatus.NOT_FOUND
    expect(page.locator(".response-info")).to_contain_text("HTTP 404 Not Found")
    expect(page.locator("body")).not_to_contain_text("Not yours")


def test_strangers_renditions_are_404_pages_when_logged_in(
    page, live_api, user, other_client, upload
):
    strangers_image = upload(title="Secret", client=other_client)

    log_in(page, live_api, user.username)
    for rendition in ("image-original", "image-processed", "image-thumbnail"):
        response = page.goto(live_api.url(rendition, pk=strangers_image["id"]))
        assert response is not None and response.status == HTTPStatus.NOT_FOUND, rendition
        assert "Secret" not in response.text()
