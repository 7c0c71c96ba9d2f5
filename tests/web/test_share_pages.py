"""A share link's public pages through Django's test client: the set, the viewer, the prompt.

What a recipient (someone holding the link, usually with no account) sees at ``/s/<token>``
and ``/s/<token>/i/<image id>``: only the link's pictures, nothing of a password-protected
link before its password, the camera details and the album's words where the link shows
them, and no way into the API's docs or a gallery that is not theirs. Chromium drives the
same pages in ``test_browser_share.py``.
"""

import io
import re
import uuid
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import ExifTags
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from images.models import Share
from images.pagination import SharedCursorPagination
from tests.web.test_pages import assert_strict_page, logged_in, main_of, parse

SHARE_PASSWORD = "tea at five"
LINK_TITLE = "Grandma's 80th"
ALBUM_TITLE = "Harbours of the north"
ALBUM_DESCRIPTION = "Three days on the coast.\nThe boats left at dawn."
# What a page shows of a photo's EXIF (``camera_photo``), as a person reads a camera's screen.
CAMERA_FACTS = ["Canon EOS R5", "RF24-70mm F2.8 L IS USM", "1/250 s", "f/2.8", "35 mm", "ISO 400"]

pytestmark = pytest.mark.django_db


def camera_photo(size: tuple[int, int] = (96, 64)) -> bytes:
    """A JPEG with the EXIF a camera writes: make, model, lens, exposure, date, GPS."""
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:01 18:32:00"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+02:00"
    sub[ExifTags.Base.LensModel] = "RF24-70mm F2.8 L IS USM"
    sub[ExifTags.Base.ExposureTime] = IFDRational(1, 250)
    sub[ExifTags.Base.FNumber] = IFDRational(28, 10)
    sub[ExifTags.Base.ISOSpeedRatings] = 400
    sub[ExifTags.Base.FocalLength] = IFDRational(35, 1)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(60, 1), IFDRational(23, 1), IFDRational(36, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(5, 1), IFDRational(19, 1), IFDRational(12, 1))
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (40, 120, 200)).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def share(client, **body) -> dict:
    response = client.post(reverse("share-list"), body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


@pytest.fixture
def links(auth_client, upload) -> dict:
    """Alice's three pictures in an album, an image left out, another account's picture, and
    links: the album locked (metadata, originals), the album open (metadata, originals), and
    two pictures open (neither)."""
    images = [
        upload(camera_photo((96 + 8 * i, 64)), name=f"IMG_{i}.jpg", title=f"Boat {i}")
        for i in range(3)
    ]
    outside = upload(camera_photo(), name="private.jpg", title="Not shared")
    album = auth_client.post(
        reverse("album-list"),
        {"title": ALBUM_TITLE, "description": ALBUM_DESCRIPTION},
        format="json",
    ).json()
    auth_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [image["id"] for image in images]},
        format="json",
    )
    everything = {"show_metadata": True, "allow_original": True}
    return {
        "images": images,
        "outside": outside,
        "album": album,
        "locked": share(
            auth_client,
            album=album["id"],
            title=LINK_TITLE,
            password=SHARE_PASSWORD,
            **everything,
        ),
        "open": share(auth_client, album=album["id"], **everything),
        "plain": share(auth_client, image_ids=[images[0]["id"], images[2]["id"]]),
    }


def set_url(link: dict) -> str:
    return reverse("share", kwargs={"token": link["token"]})


def viewer_url(link: dict, image_id: str) -> str:
    return reverse("share-image", kwargs={"token": link["token"], "image_id": image_id})


def unlocked(link: dict) -> Client:
    visitor = Client()
    response = visitor.post(set_url(link), {"password": SHARE_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    return visitor


def api_page(link: dict, visitor: Client | None = None) -> dict:
    """The link's first page as the API gives it (``X-Share-Grant`` from the page's session)."""
    headers = {}
    if visitor is not None:
        grant = next(v for k, v in visitor.session.items() if k.startswith("share-grant:"))
        headers["X-Share-Grant"] = grant
    response = Client().get(
        reverse("shared-detail", kwargs={"token": link["token"]}), headers=headers
    )
    assert response.status_code == HTTPStatus.OK
    return response.json()


def links_in(response) -> list[str]:
    return re.findall(r'href="([^"]*)"', response.content.decode())


def main_body(response) -> str:
    """What the page's ``<main>`` says, whoever asks: without the per-request CSRF token of a
    form and the ``<main>`` tag's own attributes (a logged-in visitor's page has more)."""
    main = main_of(response)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main[main.index(">") + 1 :])


def head_of(response) -> str:
    body = response.content.decode()
    return body[: body.index("<body")]


# --- 5. A password-protected link shows nothing of itself before the password --------------------


class TestLockedLink:
    def test_the_prompt_shows_nothing_of_the_link(self, links):
        for url in (
            set_url(links["locked"]),
            viewer_url(links["locked"], links["images"][0]["id"]),
        ):
            response = Client().get(url)
            assert response.status_code == HTTPStatus.OK, url
            assert b'name="password"' in response.content
            for secret in (LINK_TITLE, ALBUM_TITLE, "Three days", "Boat"):
                assert secret not in response.content.decode(), (url, secret)
                assert secret.replace("'", "&#x27;") not in response.content.decode()
            assert "og:" not in head_of(response)
            assert "<title>Password needed" in head_of(response)
            assert_strict_page(response)

    def test_a_wrong_password_still_shows_nothing_of_it(self, links):
        response = Client().post(set_url(links["locked"]), {"password": "guess"})
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert LINK_TITLE.replace("'", "&#x27;") not in response.content.decode()

    def test_the_viewer_asks_for_the_password_then_shows_the_picture(self, links):
        visitor = Client()
        url = viewer_url(links["locked"], links["images"][1]["id"])
        assert b"/preview/" not in visitor.get(url).content
        response = visitor.post(url, {"password": SHARE_PASSWORD})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == url
        page = visitor.get(url)
        assert page.status_code == HTTPStatus.OK
        assert b"Boat 1" in page.content
        # The link's own title only now.
        assert LINK_TITLE.replace("'", "&#x27;") in visitor.get(set_url(links["locked"])).text

    def test_the_viewer_of_a_locked_link_asks_for_the_password_for_any_picture(self, links):
        """Before the password, a picture of the link and one not in it look the same."""
        pages = [
            Client().get(viewer_url(links["locked"], image_id))
            for image_id in (links["images"][0]["id"], links["outside"]["id"], str(uuid.uuid4()))
        ]
        assert {page.status_code for page in pages} == {HTTPStatus.OK}
        assert len({main_body(page) for page in pages}) == 1


# --- 18. A viewer: the picture large, steps, back to the set, download where allowed -------------


class TestViewer:
    def test_tiles_open_the_viewer_not_a_rendition(self, links):
        response = Client().get(set_url(links["open"]))
        ids = [image["id"] for image in api_page(links["open"])["results"]]
        tile_links = [url for url in links_in(response) if "/shared/" in url]
        assert not [url for url in tile_links if "/processed/" in url], tile_links
        for image_id in ids:
            assert viewer_url(links["open"], image_id) in links_in(response)

    def test_shows_the_preview_and_links_the_full_size(self, links):
        first = api_page(links["open"])["results"][0]
        response = Client().get(viewer_url(links["open"], first["id"]))
        assert response.status_code == HTTPStatus.OK
        assert_strict_page(response)
        shown = [img for img in parse(response).images if "/shared/" in (img.get("src") or "")]
        assert len(shown) == 1
        wanted = "/preview/" if "preview" in first["urls"] else "/processed/"
        assert wanted in shown[0]["src"]
        assert shown[0]["alt"] == first["title"]
        assert Client().get(shown[0]["src"]).status_code == HTTPStatus.OK
        full = [url for url in links_in(response) if "/processed/" in url]
        assert full, "no link to the full size"
        assert Client().get(full[0].replace("&amp;", "&")).status_code == HTTPStatus.OK

    def test_steps_through_the_link_in_its_order_and_back_to_the_set(self, links):
        ids = [image["id"] for image in api_page(links["open"])["results"]]
        assert len(ids) == 3
        for index, image_id in enumerate(ids):
            body = Client().get(viewer_url(links["open"], image_id)).content.decode()
            before = viewer_url(links["open"], ids[index - 1]) if index > 0 else None
            after = viewer_url(links["open"], ids[index + 1]) if index + 1 < len(ids) else None
            assert (f'data-prev="{before}' in body) == (before is not None), index
            assert (f'data-next="{after}' in body) == (after is not None), index
            assert (f'rel="prev" href="{before}' in body) == (before is not None), index
            assert (f'rel="next" href="{after}' in body) == (after is not None), index
            assert f'data-back="{set_url(links["open"])}' in body
            assert f'href="{set_url(links["open"])}' in body

    def test_a_link_without_originals_offers_no_download(self, links):
        page = Client().get(viewer_url(links["plain"], links["images"][0]["id"]))
        assert page.status_code == HTTPStatus.OK
        assert b"/original/" not in page.content
        assert b"download" not in main_of(page).encode().lower()

    def test_a_link_with_originals_offers_the_download(self, links):
        page = Client().get(viewer_url(links["open"], links["images"][0]["id"]))
        originals = [url for url in links_in(page) if "/original/" in url]
        assert len(originals) == 1
        assert Client().get(originals[0].replace("&amp;", "&")).status_code == HTTPStatus.OK

    def test_opening_a_picture_is_not_a_view_of_the_link(self, links):
        Client().get(viewer_url(links["open"], links["images"][0]["id"]))
        assert Client().head(viewer_url(links["open"], links["images"][1]["id"])).status_code == (
            HTTPStatus.OK
        )
        assert Share.objects.get(pk=links["open"]["id"]).view_count == 0

    def test_back_goes_to_the_set_page_the_picture_was_opened_from(self, links, monkeypatch):
        # Two pictures a page, so that the album's three make a second page.
        monkeypatch.setattr(SharedCursorPagination, "page_size", 2)
        visitor = Client()
        first = visitor.get(set_url(links["open"]))
        second_page = first.context["next_url"]
        cursor = parse_qs(urlsplit(second_page).query)["cursor"][0]
        second = visitor.get(second_page)
        assert second.context["previous_url"], "no way back to the earlier pictures"
        [last] = second.context["images"]
        assert last["page_url"] == viewer_url(links["open"], last["id"]) + "?" + urlencode(
            {"from": cursor}
        )
        body = visitor.get(last["page_url"]).content.decode()
        back = f"{set_url(links['open'])}?{urlencode({'cursor': cursor})}#p-{last['id']}"
        assert f'data-back="{escape(back)}"' in body
        # A step keeps where the set was left.
        assert f"?from={quote(cursor)}" in body or f"?{urlencode({'from': cursor})}" in body

    def test_the_owner_and_another_account_see_what_a_stranger_sees(self, links, user, other_user):
        url = viewer_url(links["open"], links["images"][1]["id"])
        pages = [Client().get(url), logged_in(user).get(url), logged_in(other_user).get(url)]
        assert {page.status_code for page in pages} == {HTTPStatus.OK}
        for page in pages:
            assert b"Move to trash" not in page.content
            assert str(user.pk).encode() not in page.content
            assert b"IMG_1.jpg" not in page.content


class TestViewerPrivacy:
    def test_a_picture_not_in_the_link_is_the_missing_links_404(
        self, links, user, other_user, upload, other_client
    ):
        """Not in the link, another account's, made up, in the trash, of a revoked or an
        expired link: the one 404, whoever asks."""
        strangers_picture = upload(camera_photo(), title="Mallory's", client=other_client)
        missing = Client().get(reverse("share", kwargs={"token": "x" * 43}))
        assert missing.status_code == HTTPStatus.NOT_FOUND
        reference = main_body(missing)
        open_link, plain = links["open"], links["plain"]
        urls = [
            viewer_url(open_link, links["outside"]["id"]),
            viewer_url(plain, links["images"][1]["id"]),  # in the album, not in this link
            viewer_url(open_link, str(uuid.uuid4())),
            viewer_url(open_link, "not-a-uuid"),
            reverse("share-image", kwargs={"token": "x" * 43, "image_id": str(uuid.uuid4())}),
            viewer_url(open_link, strangers_picture["id"]),
        ]
        for client in (Client(), logged_in(user), logged_in(other_user)):
            for url in urls:
                response = client.get(url)
                assert response.status_code == HTTPStatus.NOT_FOUND, url
                assert main_body(response) == reference, url
                assert_strict_page(response)

    def test_a_locked_links_picture_not_in_it_is_404_after_the_password(self, links):
        visitor = unlocked(links["locked"])
        response = visitor.get(viewer_url(links["locked"], links["outside"]["id"]))
        assert response.status_code == HTTPStatus.NOT_FOUND
        missing = Client().get(reverse("share", kwargs={"token": "x" * 43}))
        assert main_body(response) == main_body(missing)

    def test_trashed_revoked_and_expired_answer_like_missing(self, links, auth_client):
        first, second = links["images"][0]["id"], links["images"][1]["id"]
        auth_client.delete(reverse("image-detail", kwargs={"pk": second}))
        auth_client.delete(reverse("share-detail", kwargs={"pk": links["plain"]["id"]}))
        Share.objects.filter(pk=links["locked"]["id"]).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        reference = main_body(Client().get(reverse("share", kwargs={"token": "x" * 43})))
        for url in (
            viewer_url(links["open"], second),
            viewer_url(links["plain"], first),
            viewer_url(links["locked"], first),
        ):
            response = Client().get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, url
            assert main_body(response) == reference, url

    def test_another_links_grant_does_not_open_a_locked_link(self, links, auth_client):
        other_locked = share(
            auth_client, album=links["album"]["id"], password="another one entirely"
        )
        visitor = unlocked(links["locked"])
        response = visitor.get(viewer_url(other_locked, links["images"][0]["id"]))
        assert b'name="password"' in response.content
        assert b"/preview/" not in response.content and b"/processed/" not in response.content


# --- 19. Camera details, location, the album's words ---------------------------------------------


class TestWhatTheLinkShows:
    def test_camera_details_and_location_where_the_link_shows_metadata(self, links):
        page = Client().get(viewer_url(links["open"], links["images"][0]["id"]))
        text = main_of(page)
        for fact in CAMERA_FACTS:
            assert fact in text, fact
        assert "60.39" in text and "5.32" in text, "no location"
        assert "1 May 2024" in text and "18:32" in text, "no date taken, in the camera's time"
        assert "0.004" not in text

    def test_nothing_of_the_camera_where_the_link_hides_it(self, links):
        page = Client().get(viewer_url(links["plain"], links["images"][0]["id"]))
        # What the page says, not its signed URLs (whose random tokens may hold "2024").
        text = re.sub(r'(?:href|src|srcset)="[^"]*"', "", main_of(page))
        for fact in [*CAMERA_FACTS, "60.39", "2024"]:
            assert fact not in text, fact

    def test_an_album_link_shows_the_albums_title_and_description(self, links):
        page = Client().get(set_url(links["open"]))
        text = main_of(page)
        assert f"<h1>{ALBUM_TITLE}</h1>" in text
        assert "Three days on the coast.<br>The boats left at dawn." in text

    def test_the_links_own_title_comes_first_and_the_album_is_named(self, links):
        text = main_of(unlocked(links["locked"]).get(set_url(links["locked"])))
        assert LINK_TITLE.replace("'", "&#x27;") in text
        assert ALBUM_TITLE in text
        assert "Three days on the coast." in text

    def test_a_link_to_pictures_names_no_album(self, links):
        text = main_of(Client().get(set_url(links["plain"])))
        assert ALBUM_TITLE not in text and "Three days" not in text


# --- 25. Recipient pages: no API docs, no "your pictures" for people with no account -------------


class TestRecipientPages:
    def pages(self, links, client: Client) -> list:
        return [
            client.get(set_url(links["open"])),
            client.get(viewer_url(links["open"], links["images"][0]["id"])),
            client.get(set_url(links["locked"])),
            client.get(viewer_url(links["locked"], links["images"][0]["id"])),
            client.get(reverse("share", kwargs={"token": "x" * 43})),
            client.get(viewer_url(links["open"], str(uuid.uuid4()))),
        ]

    def test_a_stranger_is_offered_neither_the_api_docs_nor_a_gallery(self, links):
        for response in self.pages(links, Client()):
            hrefs = links_in(response)
            assert reverse("swagger-ui") not in hrefs, response.request["PATH_INFO"]
            assert reverse("home") not in hrefs, response.request["PATH_INFO"]
            assert b"your pictures" not in response.content.lower()
            assert b"API documentation" not in response.content

    def test_someone_logged_in_gets_a_link_to_their_own_gallery(self, links, other_user):
        for response in self.pages(links, logged_in(other_user)):
            assert reverse("home") in links_in(response), response.request["PATH_INFO"]
            assert reverse("swagger-ui") not in links_in(response)


# --- 3. A page is HTML whatever Accept says ------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/plain", "image/png", "application/xml", ";;;"])
def test_share_pages_are_html_whatever_accept_says(links, accept):
    visitor = unlocked(links["locked"])
    for client, url, status in (
        (Client(), set_url(links["open"]), HTTPStatus.OK),
        (Client(), viewer_url(links["open"], links["images"][0]["id"]), HTTPStatus.OK),
        (Client(), viewer_url(links["locked"], links["images"][0]["id"]), HTTPStatus.OK),
        (visitor, viewer_url(links["locked"], links["images"][1]["id"]), HTTPStatus.OK),
        (visitor, viewer_url(links["locked"], links["outside"]["id"]), HTTPStatus.NOT_FOUND),
        (Client(), viewer_url(links["plain"], str(uuid.uuid4())), HTTPStatus.NOT_FOUND),
    ):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == status, (url, accept)
        assert response["Content-Type"].startswith("text/html")


# --- Issue 19: a share opened once per page -------------------------------------------------------


@pytest.mark.parametrize("page", ["set", "viewer"])
def test_each_page_opens_and_checks_its_link_once(links, monkeypatch, page):
    """The link is opened once per request and the policy asked once whether its visitor may
    see it, then the visitor is handed down: never a second time by a read behind the page
    (the API's view did both again)."""
    from images import access, shares

    calls: list[str] = []
    for module, name in ((shares, "share_open"), (access, "access_check")):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            if _name == "access_check":
                _name = f"access_check {kwargs['action']}"
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    visitor = unlocked(links["locked"])
    calls.clear()
    url = (
        set_url(links["locked"])
        if page == "set"
        else viewer_url(links["locked"], links["images"][1]["id"])
    )
    assert visitor.get(url).status_code == HTTPStatus.OK
    assert calls == ["share_open", "access_check share.view"]


def test_the_reads_show_a_visitor_only_what_the_policy_lets_it_see(links):
    """The pages' reads decide nothing: handed a visitor the policy would not let in (the
    locked link's, without its password), they show none of its pictures and not its album."""
    from images import access
    from web import reads

    request = RequestFactory().get(set_url(links["locked"]))
    share = Share.objects.select_related("album").get(token=links["locked"]["token"])
    locked = access.ShareVisitor(share=share, unlocked=False)
    assert reads.shared_page_read(request=request, visitor=locked, cursor=None).results == []
    assert reads.shared_album(locked) is None
    let_in = access.ShareVisitor(share=share, unlocked=True)
    page = reads.shared_page_read(request=request, visitor=let_in, cursor=None)
    assert len(page.results) == len(links["images"])
    assert reads.shared_album(let_in) == {"title": ALBUM_TITLE, "description": ALBUM_DESCRIPTION}
