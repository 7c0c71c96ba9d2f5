"""The API docs (Swagger UI and ReDoc) work from this server alone, and Swagger UI can call the API.

Each page is opened in headless Chromium under a public-looking hostname that resolves to the
live server. Every request the page makes is recorded; any that would leave the server is
aborted (there is no internet here anyway) and reported.
"""

from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import Page, Route, expect

from tests.clients.conftest import LiveApi
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.yml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# How long a docs page may take to show the schema (it renders it all in the browser).
PAGE_READY_MS = 30_000


def documented_operations() -> list[tuple[str, str]]:
    """(tag, operationId) of every operation in the committed schema."""
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    return [
        (operation["tags"][0], operation["operationId"])
        for path_item in schema["paths"].values()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
    ]


class RequestLog:
    """Every request a page makes; those for any host but the server's are aborted."""

    def __init__(self, page: Page, host: str) -> None:
        self.host = host
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.route("**/*", self._only_this_server)

    def _only_this_server(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc == self.host:
            route.continue_()
        else:
            route.abort()

    def asked_elsewhere(self) -> list[str]:
        """Every request for a host other than the server's, those its CSP refused too.

        A refusal is still a page asking for something it must not need, and a console error.
        """
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).netloc != self.host
        ]


def open_swagger_ui(page: Page, api: LiveApi) -> RequestLog:
    requested = RequestLog(page, api.host)
    response = page.goto(api.url("swagger-ui"))
    assert response is not None and response.status == HTTPStatus.OK
    expect(page.locator("#operations-images-images_upload")).to_be_visible(timeout=PAGE_READY_MS)
    page.wait_for_load_state("networkidle")
    return requested


def open_redoc(page: Page, api: LiveApi) -> RequestLog:
    requested = RequestLog(page, api.host)
    response = page.goto(api.url("redoc"))
    assert response is not None and response.status == HTTPStatus.OK
    # ReDoc lays out the whole schema before it shows anything: seconds on a loaded machine.
    expect(page.get_by_role("heading", name="Upload an image").first).to_be_visible(
        timeout=PAGE_READY_MS
    )
    page.wait_for_load_state("networkidle")
    return requested


class TestSwaggerUI:
    def test_lists_every_documented_operation(self, page, public_live_api):
        requested = open_swagger_ui(page, public_live_api)
        for tag, operation_id in documented_operations():
            expect(page.locator(f"#operations-{tag}-{operation_id}")).to_have_count(1)
        expect(page.locator("#operations-images-images_upload")).to_contain_text("Upload an image")
        schema_url = public_live_api.url("schema")
        assert schema_url in requested.urls, "Swagger UI did not load the schema from this server"

    def test_asks_nothing_of_other_hosts(self, page, public_live_api):
        requested = open_swagger_ui(page, public_live_api)
        assert requested.asked_elsewhere() == []

    def test_offers_bearer_authorization(self, page, public_live_api):
        open_swagger_ui(page, public_live_api)
        page.locator(".auth-wrapper button.authorize").click()
        dialog = page.locator(".modal-ux")
        expect(dialog).to_contain_text("jwtAuth")
        expect(dialog).to_contain_text("Bearer")

    def test_try_it_out_with_a_bearer_token_gets_my_account(self, page, live_api, user):
        access = live_api.tokens(user.username, DEFAULT_PASSWORD)["access"]
        open_swagger_ui(page, live_api)

        page.locator(".auth-wrapper button.authorize").click()
        jwt_form = page.locator(".modal-ux .auth-container").filter(has_text="jwtAuth")
        jwt_form.locator("input#auth-bearer-value").fill(access)
        jwt_form.locator("button.authorize").click()
        expect(jwt_form.locator("button", has_text="Logout")).to_be_visible()
        jwt_form.locator("button.btn-done").click()

        operation = page.locator("#operations-account-me_retrieve")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        me_url = live_api.url("users-me")
        with page.expect_response(lambda response: response.url == me_url) as answer:
            operation.locator("button.execute").click()
        response = answer.value

        assert response.status == HTTPStatus.OK
        assert response.request.headers["authorization"] == f"Bearer {access}"
        assert response.json()["username"] == user.username
        shown = operation.locator(".live-responses-table tbody tr.response")
        expect(shown.locator("td.response-col_status")).to_have_text("200")
        expect(shown).to_contain_text(f'"username": "{user.username}"')


class TestRedoc:
    def test_renders_every_documented_operation(self, page, public_live_api):
        requested = open_redoc(page, public_live_api)
        for _tag, operation_id in documented_operations():
            expect(page.locator(f"[data-section-id='operation/{operation_id}']")).to_have_count(1)
        assert public_live_api.url("schema") in requested.urls

    def test_asks_nothing_of_other_hosts(self, page, public_live_api):
        # Found by a new user (#18): ReDoc asked cdn.redoc.ly for its logo, which the page's
        # policy then refused (a console error on every visit).
        requested = open_redoc(page, public_live_api)
        assert requested.asked_elsewhere() == []
