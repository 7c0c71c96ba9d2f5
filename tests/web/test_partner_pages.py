"""Partner sharing's pages (issue 20, item 4) through Django's test client: /partners/, a
partner's picture (/partners/<grantor>/i/<id>/) and the gallery's ``include_partners`` toggle.

Rows are made directly (no files: the pages only sign URLs for them; what those URLs serve, to
whom, is the API's ``tests/images/test_partner_privacy.py``). Every kind of caller: the
grantor (Alice), her accepted partner (Bob), a grantee who has not accepted, one whose
partnership ended, a stranger (Mallory) and nobody. A partner page that is not the caller's
to see is the one 404 page, exactly as a missing one.
"""

import uuid
from datetime import date, timedelta
from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from images.models import Image, Partnership
from tests.factories import UserFactory
from tests.web.test_pages import assert_strict_page, logged_in, main_of
from web import partner_reads

pytestmark = pytest.mark.django_db

OK, FOUND, NOT_FOUND = HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.NOT_FOUND
PARTNER_SIGNED = "/api/v1/partner-libraries/"


def _image(owner, **fields) -> Image:
    defaults = {
        "format": "jpeg",
        "width": 4,
        "height": 3,
        "size": 10,
        "checksum": "a" * 64,
        "status": Image.Status.READY,
        "thumbnail_key": f"{owner.pk}/x/thumbnail.jpg",
        "preview_key": f"{owner.pk}/x/preview.jpg",
        "original_key": f"{owner.pk}/x/original.jpg",
        "original_filename": "IMG_0001.jpg",
        "taken_at": timezone.now() - timedelta(days=3),
    }
    return Image.objects.create(owner=owner, **{**defaults, **fields})


def _partnership(grantor, grantee, *, accepted=True, **fields) -> Partnership:
    return Partnership.objects.create(
        grantor=grantor,
        grantee=grantee,
        accepted_at=timezone.now() if accepted else None,
        **fields,
    )


class _Parts(HTMLParser):
    """A page's links, forms, images and controls (their attributes, entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.forms: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []
        self.controls: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        {"a": self.links, "form": self.forms, "img": self.images, "input": self.controls}.get(
            tag, []
        ).append(found)


def parse(response) -> _Parts:
    parts = _Parts()
    parts.feed(response.content.decode())
    return parts


def _picture_url(grantor, image) -> str:
    return reverse("partner-picture", kwargs={"grantor_id": grantor.pk, "image_id": image.pk})


def _gallery(client: Client, **params: str):
    return client.get(reverse("home"), params)


def _tile_links(response) -> list[str]:
    page = parse(response)
    return [link.get("href") or "" for link in page.links if "/i/" in (link.get("href") or "")]


def _thumbnails(response) -> list[str]:
    """The sources of the page's pictures served by the API (not its icons)."""
    sources = [img.get("src") or "" for img in parse(response).images]
    return [src for src in sources if "/api/" in src]


@pytest.fixture
def alice(user):
    user.first_name, user.last_name = "Alice", "Liddell"
    user.save()
    return user


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob")


@pytest.fixture
def carol(db):
    """Offered Alice's library, not (yet) accepted."""
    return UserFactory(username="carol")


@pytest.fixture
def dave(db):
    """Was Alice's partner; it ended."""
    return UserFactory(username="dave")


@pytest.fixture
def library(alice, bob, carol, dave, other_user) -> dict:
    """Alice's pictures (one live, one in the trash, one locked, one taken long ago), Bob's own
    and the stranger's; Alice shares with Bob (accepted), Carol (pending) and ended with Dave."""
    pictures = {
        "live": _image(alice, title="Alice's sunset"),
        "trashed": _image(alice, title="trashed", trashed_at=timezone.now()),
        "locked": _image(alice, title="locked", locked_at=timezone.now()),
        "old": _image(alice, title="old", taken_at=timezone.now().replace(year=2019)),
        "bobs": _image(bob, title="Bob's own"),
        "strangers": _image(other_user, title="mallory's"),
    }
    partnership = _partnership(alice, bob)
    _partnership(alice, carol, accepted=False)
    _partnership(alice, dave).delete()
    return {"partnership": partnership, **pictures}


@pytest.fixture
def clients(alice, bob, carol, dave, other_user) -> dict[str, Client]:
    return {
        "grantor": logged_in(alice),
        "grantee": logged_in(bob),
        "pending": logged_in(carol),
        "ended": logged_in(dave),
        "stranger": logged_in(other_user),
        "anonymous": Client(),
    }


def _missing(client: Client, grantor) -> str:
    """The page a missing partner picture gets, to compare refusals with."""
    response = client.get(
        reverse("partner-picture", kwargs={"grantor_id": grantor.pk, "image_id": uuid.uuid4()})
    )
    assert response.status_code == NOT_FOUND
    return main_of(response)


class TestPartnerPicturePage:
    def test_the_accepted_partner_sees_it_with_whose_it_is_and_save(self, clients, alice, library):
        response = clients["grantee"].get(_picture_url(alice, library["live"]))
        assert response.status_code == OK
        assert_strict_page(response)
        main = main_of(response)
        assert "Alice Liddell" in main and "Alice&#x27;s sunset" in main
        sources = _thumbnails(response)
        assert sources and all(PARTNER_SIGNED in src and "sig=" in src for src in sources)
        save = reverse(
            "partner-image-save", kwargs={"grantor_id": alice.pk, "image_id": library["live"].pk}
        )
        forms = [form["data-api"] for form in parse(response).forms if form.get("data-api")]
        # Save, and nothing that changes the picture (no edit, trash, album or lock control).
        assert forms == [save]
        assert "Save to my gallery" in main and "Taken" in main
        # Kept back by default: the file name, the original, the camera's details.
        assert "IMG_0001.jpg" not in main and "Download original" not in main

    def test_camera_details_and_the_original_only_where_the_grantor_shows_them(
        self, clients, alice, library
    ):
        Image.objects.filter(pk=library["live"].pk).update(
            metadata={"camera_make": "Leica", "camera_model": "Q2"}
        )
        url = _picture_url(alice, library["live"])
        assert "Leica" not in main_of(clients["grantee"].get(url))
        Partnership.objects.filter(pk=library["partnership"].pk).update(
            show_metadata=True, show_originals=True
        )
        main = main_of(clients["grantee"].get(url))
        assert "Leica Q2" in main and "IMG_0001.jpg" in main and "Download original" in main

    @pytest.mark.parametrize("caller", ["grantor", "pending", "ended", "stranger"])
    def test_anyone_but_the_accepted_partner_gets_the_missing_page(
        self, clients, alice, library, caller
    ):
        client = clients[caller]
        response = client.get(_picture_url(alice, library["live"]))
        assert response.status_code == NOT_FOUND
        assert main_of(response) == _missing(client, alice)

    @pytest.mark.parametrize("name", ["trashed", "locked", "old", "bobs", "strangers"])
    def test_a_picture_the_partnership_does_not_share_is_the_missing_page(
        self, clients, alice, library, name
    ):
        Partnership.objects.filter(pk=library["partnership"].pk).update(since=date(2020, 1, 1))
        response = clients["grantee"].get(_picture_url(alice, library[name]))
        assert response.status_code == NOT_FOUND
        assert main_of(response) == _missing(clients["grantee"], alice)

    def test_the_other_direction_opens_nothing(self, clients, bob, library):
        # Alice shares with Bob; Bob shares nothing with Alice.
        response = clients["grantor"].get(_picture_url(bob, library["bobs"]))
        assert response.status_code == NOT_FOUND

    def test_anonymous_is_sent_to_log_in(self, clients, alice, library):
        url = _picture_url(alice, library["live"])
        response = clients["anonymous"].get(url)
        assert response.status_code == FOUND
        assert response["Location"].startswith(reverse("login"))

    def test_it_only_shows(self, clients, alice, library):
        response = clients["grantee"].post(_picture_url(alice, library["live"]))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


class TestGalleryWithPartners:
    def test_the_toggle_mixes_in_the_partners_pictures_marked(self, clients, alice, library):
        response = _gallery(clients["grantee"], include_partners="true")
        assert response.status_code == OK
        assert_strict_page(response)
        links = _tile_links(response)
        assert _picture_url(alice, library["live"]) + "?include_partners=true" in links
        assert reverse("image", args=[library["bobs"].pk]) + "?include_partners=true" in links
        main = main_of(response)
        assert '<span class="tile-partner"><span class="vh">Shared by </span>Alice Liddell' in main
        assert main.count("tile-partner") == 2  # "live" and "old": no ``since``
        partner_sources = [src for src in _thumbnails(response) if PARTNER_SIGNED in src]
        assert len(partner_sources) == 2 and all("sig=" in src for src in partner_sources)
        assert any(str(library["live"].pk) in src for src in partner_sources)
        # The toggle is shown on, to be kept by the filter form.
        checkbox = [c for c in parse(response).controls if c.get("name") == "include_partners"]
        assert checkbox and "checked" in checkbox[0]

    def test_without_the_toggle_only_ones_own(self, clients, alice, library):
        main = main_of(_gallery(clients["grantee"]))
        assert "tile-partner" not in main and str(library["live"].pk) not in main
        assert str(library["bobs"].pk) in main

    def test_never_the_trash_the_locked_folder_or_before_since(self, clients, library):
        Partnership.objects.filter(pk=library["partnership"].pk).update(since=date(2020, 1, 1))
        main = main_of(_gallery(clients["grantee"], include_partners="true"))
        for name in ("trashed", "locked", "old", "strangers"):
            assert str(library[name].pk) not in main, name
        assert str(library["live"].pk) in main

    @pytest.mark.parametrize("caller", ["grantor", "pending", "ended", "stranger"])
    def test_no_one_else_gets_alices_pictures_through_the_toggle(self, clients, library, caller):
        response = _gallery(clients[caller], include_partners="true")
        assert response.status_code == OK
        main = main_of(response)
        assert "tile-partner" not in main
        if caller != "grantor":
            assert str(library["live"].pk) not in main

    def test_anonymous_is_sent_to_log_in(self, clients, library):
        response = _gallery(clients["anonymous"], include_partners="true")
        assert response.status_code == FOUND
        assert response["Location"].startswith(reverse("login"))

    def test_filters_about_ones_own_pictures_list_no_partners(self, clients, library):
        main = main_of(_gallery(clients["grantee"], include_partners="true", is_favorite="true"))
        assert str(library["live"].pk) not in main
        main = main_of(_gallery(clients["grantee"], include_partners="true", style="none"))
        assert str(library["live"].pk) in main

    def test_a_toggle_value_the_api_refuses_is_said_not_crashed(self, clients, library):
        response = _gallery(clients["grantee"], include_partners="yes")
        assert response.status_code == OK
        assert 'role="alert"' in main_of(response)

    def test_the_toggle_is_kept_on_the_next_page(self, clients, alice, library):
        Image.objects.bulk_create(
            [Image(owner=alice, format="jpeg", width=4, height=3, size=1) for _ in range(30)]
        )
        response = _gallery(clients["grantee"], include_partners="true")
        more = [link for link in parse(response).links if "cursor=" in (link.get("href") or "")]
        assert more and "include_partners=true" in more[0]["href"]
        following = clients["grantee"].get(more[0]["href"])
        assert following.status_code == OK
        assert "tile-partner" in main_of(following)
        # gallery.js asks the API for the same page (the same query on images/): the same.
        query = more[0]["href"].split("?", 1)[1]
        api = clients["grantee"].get(f"{reverse('image-list')}?{query}").json()
        partner_ids = [item["id"] for item in api["results"] if item["partner"]]
        assert partner_ids and all(pk in main_of(following) for pk in partner_ids)

    @pytest.mark.parametrize("partners", [1, 3])
    def test_constant_queries_whatever_the_number_of_partners(
        self, alice, bob, library, partners, django_assert_max_num_queries
    ):
        for index in range(partners - 1):
            other = UserFactory(username=f"grantor{index}")
            _image(other, title=f"from {index}")
            _partnership(other, bob)
        client = logged_in(bob)
        # The session, the user, the nav's count of invitations, the albums' picker, the
        # partnerships, the page, the timeline's months and "on this day"'s days (issue 22):
        # the same with one partner as with three.
        with django_assert_max_num_queries(8):
            response = _gallery(client, include_partners="true")
        # Alice's two pictures ("live", "old") and one of each other partner's.
        assert main_of(response).count("tile-partner") == partners + 1


def _cursor(link: str | None) -> str | None:
    return parse_qs(urlsplit(link).query)["cursor"][0] if link else None


class TestGalleryReadIsTheApis:
    """The page's mixed gallery (``web.partner_reads``) answers as ``images/`` does with
    ``include_partners=true``: the same pictures, each in the same shape and order, and the
    same next cursor."""

    @pytest.mark.parametrize(
        "params",
        [{}, {"ordering": "-taken_at"}, {"style": "none"}, {"is_favorite": "true"}],
    )
    def test_same_answer(self, clients, bob, library, params):
        for index in range(3):
            _image(library["live"].owner, title=f"more {index}")
        request = RequestFactory().get(reverse("home"), {**params, "include_partners": "true"})
        request.user = bob
        page = partner_reads.gallery_with_partners_read(
            request=request, filters=params, ordering=params.get("ordering"), cursor=None, size=3
        )
        api = clients["grantee"].get(
            reverse("image-list"), {**params, "include_partners": "true", "page_size": 3}
        )
        body = api.json()
        assert [item["id"] for item in page.results] == [item["id"] for item in body["results"]]
        for mine, theirs in zip(page.results, body["results"], strict=True):
            assert set(mine) == set(theirs)
            assert mine["partner"] == theirs["partner"]
            assert {k: v for k, v in mine.items() if k != "urls"} == {
                k: v for k, v in theirs.items() if k != "urls"
            }
        assert _cursor(page.next) == _cursor(body["next"])
        assert page.next or params.get("is_favorite")


class TestPartnersPage:
    def test_the_grantor_sees_whom_she_shares_with_and_can_change_and_end_it(
        self, clients, library, bob, carol
    ):
        response = clients["grantor"].get(reverse("partners"))
        assert response.status_code == OK
        assert_strict_page(response)
        main = main_of(response)
        assert "Bob" in main and "carol" in main and "dave" not in main
        assert "waiting for them to accept" in main
        forms = [(form.get("data-api"), form.get("data-method")) for form in parse(response).forms]
        granted = reverse("partner-detail", kwargs={"pk": library["partnership"].pk})
        assert (granted, "PATCH") in forms and (granted, "DELETE") in forms
        assert (reverse("partner-list"), None) in forms
        assert "partner-accept" not in main and "/accept/" not in main

    def test_the_pending_grantee_may_accept_or_decline(self, clients, library, carol):
        response = clients["pending"].get(reverse("partners"))
        pending = Partnership.objects.get(grantee=carol)
        forms = [(form.get("data-api"), form.get("data-method")) for form in parse(response).forms]
        assert (reverse("partner-accept", kwargs={"pk": pending.pk}), None) in forms
        assert (reverse("partner-detail", kwargs={"pk": pending.pk}), "DELETE") in forms
        assert "Alice Liddell" in main_of(response)

    def test_the_accepted_grantee_may_end_it_and_see_the_pictures(self, clients, library):
        response = clients["grantee"].get(reverse("partners"))
        main = main_of(response)
        assert "Alice Liddell" in main and "/accept/" not in main
        assert f"{reverse('home')}?include_partners=true" in main
        detail = reverse("partner-detail", kwargs={"pk": library["partnership"].pk})
        forms = [(form.get("data-api"), form.get("data-method")) for form in parse(response).forms]
        assert (detail, "DELETE") in forms and (detail, "PATCH") not in forms

    @pytest.mark.parametrize("caller", ["ended", "stranger"])
    def test_others_see_no_partnership(self, clients, library, caller):
        main = main_of(clients[caller].get(reverse("partners")))
        assert "Alice" not in main and "Bob" not in main
        assert "You share your library with no one." in main

    def test_anonymous_is_sent_to_log_in(self, clients):
        response = clients["anonymous"].get(reverse("partners"))
        assert response.status_code == FOUND
        assert response["Location"].startswith(reverse("login"))

    def test_the_account_page_links_to_it(self, clients):
        assert reverse("partners") in main_of(clients["grantee"].get(reverse("account")))

    @pytest.mark.parametrize("count", [1, 3])
    def test_constant_queries(self, alice, count, django_assert_max_num_queries):
        for index in range(count):
            _partnership(alice, UserFactory(username=f"grantee{index}"))
            _partnership(UserFactory(username=f"grantor{index}"), alice, accepted=False)
        client = logged_in(alice)
        # The session, the user, the nav's count of invitations, the partnerships with both
        # accounts.
        with django_assert_max_num_queries(4):
            response = client.get(reverse("partners"))
        assert main_of(response).count('class="row"') == 2 * count


class TestEscaping:
    def test_names_and_titles_typed_by_people_are_escaped(self, clients, alice, bob, library):
        alice.first_name, alice.last_name = "<script>alert(1)</script>", ""
        alice.save()
        Image.objects.filter(pk=library["live"].pk).update(title="<img src=x onerror=alert(2)>")
        pages = [
            _gallery(clients["grantee"], include_partners="true"),
            clients["grantee"].get(_picture_url(alice, library["live"])),
            clients["grantee"].get(reverse("partners")),
        ]
        for response in pages:
            body = response.content.decode()
            assert "<script>alert(1)" not in body and "<img src=x" not in body
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
            assert_strict_page(response)
