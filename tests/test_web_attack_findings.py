"""What a stranger found attacking the web app (``web/``): each test is one defect, failing.

Found against a server of its own (``runserver`` on SQLite, DEBUG on) over HTTP and in
Chromium, then pinned here with the suite's fixtures: Django's test client for the pages,
the browser fixtures of ``tests/web/conftest.py`` for what only a browser shows. What held
(escaping, CSRF, redirects, the privacy of ids, share tokens and grants, the limits) has no
test here; the report lists it.
"""

from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from images.models import Image, Share
from images.pagination import SharedCursorPagination
from tests.factories import image_bytes
from tests.web.conftest import (  # noqa: F401 (fixtures)
    chromium,
    drop_files,
    live_api,
    owner,
    owner_api,
    visitor,
)


def logged_in(user) -> Client:
    """A browser's session for ``user``; server errors come back as 500s, not exceptions."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def alices_things(user, auth_client, upload) -> dict:
    """One picture of alice's in one album of hers: the pages with an id in their address."""
    image = upload(title="Harbour")
    album = auth_client.post(reverse("album-list"), {"title": "Summer"}, format="json").json()
    auth_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [image["id"]]},
        format="json",
    )
    return {"image": image, "album": album}


def page_urls(things: dict) -> list[str]:
    return [
        reverse("home"),
        reverse("upload"),
        reverse("image", kwargs={"image_id": things["image"]["id"]}),
        reverse("albums"),
        reverse("album", kwargs={"album_id": things["album"]["id"]}),
        reverse("trash"),
        reverse("shares"),
    ]


# --- 1. An Authorization header on a page request is a 500 ------------------------------------
#
# Found: `curl -b sessionid=... -H 'Authorization: Basic YWxpY2U6eA==' http://127.0.0.1:8790/`
# answered 500 (the server log: `web.api.ApiRefused: The Authorization header must use the
# Bearer scheme`), and so did /albums/, /albums/<id>/, /i/<id>/, /trash/ and /shares/; the same
# with `Authorization: Bearer garbage` ("The access token is not valid"). The pages then read
# through the API's views with the page's own request, so the API's JWT authentication (first in
# DEFAULT_AUTHENTICATION_CLASSES) judged the page's Authorization header, refused it with a 401,
# and `web.api.api_read` turned that into an uncaught `ApiRefused` (web/api.py is gone since
# issue 19: the pages read through `web.reads`, as the session's account). A browser sends
# `Authorization: Basic ...` on every request to a site behind a proxy's basic auth (a staging
# or private instance behind nginx `auth_basic`): there every private page of the web app was a
# 500. A logged-in page should be read as its session's account, whatever the header says.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer not-a-token"], ids=["basic", "bearer"]
)
def test_private_pages_are_not_a_500_when_the_browser_sends_an_authorization_header(
    user, alices_things, header
):
    client = logged_in(user)
    answers = {
        url: client.get(url, HTTP_AUTHORIZATION=header).status_code
        for url in page_urls(alices_things)
    }
    assert answers == {url: HTTPStatus.OK for url in answers}


# Found with the same cause: alice's session plus mallory's own valid access token in the
# header (`curl -b sessionid=<alice> -H 'Authorization: Bearer <mallory>' /`) renders alice's
# page (her name in the nav, her account) filled with mallory's pictures and albums: the page's
# reads are whoever the header names, not the session the page is for. No one gains access
# they did not have, but a page must show the account it is logged in as.


@pytest.mark.django_db
def test_a_page_shows_its_sessions_pictures_not_those_of_a_token_in_the_header(
    user, other_client, upload
):
    upload(title="Alice at the harbour")
    upload(title="Mallory in the garden", client=other_client)
    mallorys_token = other_client._credentials["HTTP_AUTHORIZATION"]
    page = logged_in(user).get(reverse("home"), HTTP_AUTHORIZATION=mallorys_token)
    assert page.status_code == HTTPStatus.OK
    assert b"Alice at the harbour" in page.content
    assert b"Mallory in the garden" not in page.content


# --- 2. Read-only pages answer any method with the page -----------------------------------------
#
# Found: `DELETE /i/<id>/`, `PUT /albums/`, `PATCH /trash/`, `POST /` (with the CSRF token),
# and even `FOO /shares/` each answered 200 with the full page, while /signup/, /account/ and
# /s/<token> answer 405. A DELETE on a picture's address that says 200 and deletes nothing
# tells a script (or a person with curl) that it worked. Only GET and HEAD mean something
# on these pages; anything else should be 405 with an Allow header.


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_pages_refuse_other_methods(user, alices_things, method):
    client = logged_in(user)
    answers = {url: getattr(client, method)(url).status_code for url in page_urls(alices_things)}
    assert answers == {url: HTTPStatus.METHOD_NOT_ALLOWED for url in answers}
    assert Image.objects.filter(pk=alices_things["image"]["id"], trashed_at__isnull=True).exists()


# --- 3. /login/?next=/login/ is a 500 for anyone logged in ------------------------------------
#
# Found: logged in, `GET /login/?next=/login/` answered 500 (Django's LoginView raises
# "Redirection loop for authenticated user detected" because `redirect_authenticated_user` is
# on and the next page is the login page itself). Anyone can hand out such a link; a logged-in
# person following it should land on the gallery, as `/login/?next=https://evil.example` does.


@pytest.mark.django_db
def test_a_logged_in_person_following_a_login_link_back_to_login_is_not_a_500(user):
    response = logged_in(user).get(reverse("login"), {"next": reverse("login")})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")


# --- 4. A HEAD on a share page counts a view ---------------------------------------------------
#
# Found: two `curl -I http://127.0.0.1:8790/s/<token>` raised the link's view_count on
# /api/v1/shares/<id>/ from 11 to 13, while `curl -I /api/v1/shared/<token>/` left it alone
# (SharedDetailView counts "a visit: not each page of it, not a HEAD"). `web.api.api_read` set
# the request's method to GET before calling the API view, so the page's HEAD was counted
# (since issue 19 the page counts the visit itself, with `images.shares.share_viewed`).
# Link unfurlers and uptime checkers send HEADs: the owner's "n views" on /shares/ counted them.


@pytest.mark.django_db
def test_a_head_request_on_a_share_page_is_not_counted_as_a_view(auth_client, upload):
    image = upload(title="Boat")
    share = auth_client.post(
        reverse("share-list"), {"image_ids": [image["id"]]}, format="json"
    ).json()
    response = Client().head(reverse("share", kwargs={"token": share["token"]}))
    assert response.status_code == HTTPStatus.OK
    assert Share.objects.get(pk=share["id"]).view_count == 0


# --- 5. A live link's next page says the link is dead once a picture leaves ---------------------
#
# Found: on a share of 21 pictures (/s/<token>, password given), the "More pictures" link is
# /s/<token>?cursor=<a cursor naming the 20th picture>. The owner moved that picture to the
# trash; the visitor's click then answered 404 "Nothing here. This page does not exist, or it is
# not yours to see. A shared link may have expired or been revoked." The link is alive and
# still shows 20 pictures: only the cursor went stale (SharedCursorPagination: "An image that
# left the link meanwhile makes its cursor invalid (start again)"). The page should say the
# pictures changed and lead back to the first page (or show it), not that the link is gone.


@pytest.mark.django_db
def test_a_stale_next_page_of_a_live_share_link_is_not_the_dead_link_404(
    auth_client, upload, monkeypatch
):
    # Two pictures a page instead of twenty, so that three make a second page.
    monkeypatch.setattr(SharedCursorPagination, "page_size", 2)
    images = [upload(image_bytes(size=(60 + i, 40)), title=f"Picture {i}") for i in range(3)]
    album = auth_client.post(reverse("album-list"), {"title": "Coast"}, format="json").json()
    auth_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [image["id"] for image in images]},
        format="json",
    )
    share = auth_client.post(reverse("share-list"), {"album": album["id"]}, format="json").json()
    first_page = reverse("share", kwargs={"token": share["token"]})
    stranger = Client()
    first = stranger.get(first_page)
    assert first.context["next_url"], "three pictures at two a page make a second page"
    # Newest first: page one is pictures 2 and 1, and the cursor names picture 1.
    auth_client.delete(reverse("image-detail", kwargs={"pk": images[1]["id"]}))
    # Back to the first page, saying why, is as good as showing it: never the dead link's 404.
    second = stranger.get(first.context["next_url"], follow=True)
    assert second.status_code == HTTPStatus.OK, "a live link's stale page says the link is dead"
    assert b"revoked" not in second.content


# --- 6. Dropping many pictures: the ones over the upload rate fail for good ----------------------
#
# Found in Chromium: a new account dropped 70 small JPEGs on /upload/. 60 went through; the
# other 10 ended "Too many requests. Try again later." (the API's 429 with Retry-After, from
# the `upload` rate of 60/m) and the toast said "60 uploaded, 10 failed." The page retries a
# 503 after its Retry-After, but not a 429: the person has to work out which ten failed and
# pick them again a minute later. A camera roll is easily more than 60 pictures. The page
# should wait as the API says and carry on.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_upload_page_waits_out_the_upload_rate_instead_of_failing_the_rest(
    owner,  # noqa: F811 (the fixture)
    settings,
):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "2/5s"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    page = owner.open("upload")
    # The refused upload's 429 is logged by Chromium as a failed load.
    owner.watch.expected_failures.add(owner.site.url("image-list"))
    files = [(f"roll-{i}.jpg", image_bytes(size=(40 + i, 30)), "image/jpeg") for i in range(3)]
    drop_files(page.get_by_text("or drop them here"), files)
    uploads = page.get_by_role("region", name="Uploads")
    for name, _data, _type in files:
        row = uploads.get_by_role("listitem").filter(has_text=name)
        expect(row.get_by_role("link", name="Uploaded")).to_be_visible(timeout=20_000)
    assert Image.objects.filter(owner=owner.user).count() == 3


# --- 7. At 375 px, a long album title pushes the gallery off the screen -------------------------
#
# Found in Chromium at 375 px: with an album called "Summer holidays in Brittany with the
# grandparents, August 2024", the gallery's "Album" filter grows to the longest title, the page
# is 504 px wide and scrolls sideways, and the filter's "Apply" button sits at x = 350-429, off
# the screen. An album description holding an address (https://example.com/albums/...) makes
# the album page 383 px wide the same way; a long unbroken album or link title does it to the
# album page's and the share page's heading. Nothing should be wider than a phone.

LONG_ALBUM_TITLE = "Summer holidays in Brittany with the grandparents, August 2024"
LONG_DESCRIPTION = (
    "Photos from https://example.com/albums/2024/brittany-summer-holidays-with-grandparents"
)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_gallery_and_an_album_fit_a_375_px_phone_with_long_album_text(
    owner,  # noqa: F811 (the fixture)
    owner_api,  # noqa: F811 (the fixture)
):
    album = owner_api.post(
        "album-list", json={"title": LONG_ALBUM_TITLE, "description": LONG_DESCRIPTION}
    )
    page = owner.page
    page.set_viewport_size({"width": 375, "height": 800})

    owner.open("home")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the gallery scrolls sideways at 375 px"
    apply = page.get_by_role("button", name="Apply").bounding_box()
    assert apply is not None and apply["x"] + apply["width"] <= 375, f"Apply is at {apply}"

    owner.open("album", album_id=album["id"])
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the album page scrolls sideways at 375 px"
    assert urlsplit(page.url).path == reverse("album", kwargs={"album_id": album["id"]})


# --- Issue 18, finding 3: an Accept header that admits neither JSON nor HTML -----------------
#
# Found: `curl -b sessionid=... -H 'Accept: text/plain' /` answered 500, and so did /i/<id>/,
# /albums/<id>/, /trash/, /shares/ and the anonymous /s/<token> (with image/png,
# application/xml and a malformed `;;;` too): the pages read through the API's views, whose
# content negotiation refused the page's Accept with a 406 that became an uncaught error. A
# page is HTML, whatever its Accept says.

ODD_ACCEPTS = ["text/plain", "image/png", "application/xml", ";;;"]


@pytest.fixture
def alices_links(alices_things, auth_client) -> dict:
    """An open link to alice's picture and a password-protected one to her album."""
    open_link = auth_client.post(
        reverse("share-list"), {"image_ids": [alices_things["image"]["id"]]}, format="json"
    ).json()
    locked = auth_client.post(
        reverse("share-list"),
        {"album": alices_things["album"]["id"], "password": "tea at five"},
        format="json",
    ).json()
    return {"open": open_link, "locked": locked}


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ODD_ACCEPTS)
def test_every_page_is_html_whatever_accept_says(
    user, other_user, alices_things, alices_links, accept
):
    pages = [*page_urls(alices_things), reverse("account")]
    alice, stranger = logged_in(user), logged_in(other_user)
    answers = {url: alice.get(url, HTTP_ACCEPT=accept) for url in pages}
    for url, response in answers.items():
        assert response.status_code == HTTPStatus.OK, (url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
    # Another account's picture and album are the web's 404 page; anonymous is sent to log in.
    for url in pages[2:3] + pages[4:5]:
        response = stranger.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert b"Nothing here" in response.content
    for url in pages:
        anonymous = Client(raise_request_exception=False).get(url, HTTP_ACCEPT=accept)
        assert anonymous.status_code == HTTPStatus.FOUND, url
    # The public share page, open and behind its password, for anyone.
    for link, expected in [("open", b"<img"), ("locked", b'type="password"')]:
        url = reverse("share", kwargs={"token": alices_links[link]["token"]})
        response = Client(raise_request_exception=False).get(url, HTTP_ACCEPT=accept)
        assert response.status_code == HTTPStatus.OK, (link, response.status_code)
        assert response["Content-Type"].startswith("text/html")
        assert expected in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ODD_ACCEPTS)
def test_an_unlocked_share_page_is_html_whatever_accept_says(alices_links, accept):
    stranger = Client(raise_request_exception=False)
    url = reverse("share", kwargs={"token": alices_links["locked"]["token"]})
    unlocked = stranger.post(url, {"password": "tea at five"}, HTTP_ACCEPT=accept)
    assert unlocked.status_code == HTTPStatus.FOUND
    response = stranger.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == HTTPStatus.OK
    assert b"<img" in response.content


# --- issue 19's stranger: a page's URL without its trailing slash, written to ----------------


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/login"),
        ("delete", "/i/00000000-0000-4000-8000-000000000000"),
        ("put", "/i/00000000-0000-4000-8000-000000000000"),
        ("post", "/signup"),
    ],
)
def test_a_write_to_a_page_without_its_slash_is_sent_on_not_a_500(settings, method, path, debug):
    """Django's APPEND_SLASH cannot redirect a POST without losing its body: with DEBUG on it
    raised (a 500 with the technical page), with DEBUG off it answered a 301, which browsers
    follow as a GET. A 308 keeps the method and body, as the API already answers."""
    settings.DEBUG = debug
    response = getattr(Client(raise_request_exception=False), method)(f"{path}?next=/albums/")
    assert response.status_code == HTTPStatus.PERMANENT_REDIRECT
    assert response["Location"] == f"{path}/?next=/albums/"
