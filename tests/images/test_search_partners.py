"""Search with partners' pictures (``search/?include_partners=true``): each accepted
partnership's grantor's pictures in the partner scope, marked as the gallery marks them, and
found only by what the grantor shows (a partner hiding its metadata: never by place, camera,
lens or file name, nor by the ``place``, ``camera`` or ``has_location`` filters); the same on
SQLite and PostgreSQL, in one rank and cursor, at a cost that does not grow with partners.

Rows are made directly (nothing here is about files).
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images.models import Album, AlbumImage, Image, Partnership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "search-list"
T0 = datetime(2022, 6, 1, 12, tzinfo=UTC)
CANON = {"camera_make": "Canon", "camera_model": "Canon EOS R5", "lens": "RF24-105mm F4"}


def _picture(owner, **fields) -> Image:
    defaults = {
        "format": "JPEG",
        "width": 1,
        "height": 1,
        "size": 1,
        "status": "ready",
        "thumbnail_key": f"{uuid.uuid4().hex}/thumbnail.jpg",
        "taken_at": T0,
    }
    return Image.objects.create(owner=owner, **{**defaults, **fields})


def _paris(owner, **fields) -> Image:
    """A picture taken in Paris with a Canon, titled "Sunset", of a described beach."""
    values = {
        "title": "Sunset",
        "description": "beach walk",
        "original_filename": "IMG_7777.JPG",
        "metadata": CANON,
        "place_city": "Paris",
        "place_region": "Île-de-France",
        "place_country": "France",
        "place_country_code": "FR",
        "latitude": 48.85,
        "longitude": 2.35,
    }
    return _picture(owner, **{**values, **fields})


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _search(client, params, page_size=100) -> list[dict]:
    """Every result body of the search's pages, in order."""
    found: list[dict] = []
    url, query = reverse(SEARCH), {**params, "page_size": page_size}
    while url:
        response = client.get(url, query) if query else client.get(url)
        assert response.status_code == HTTPStatus.OK, response.json()
        body = response.json()
        found += body["results"]
        url, query = body["next"], None
    return found


def _ids(client, params, page_size=100) -> list[str]:
    return [image["id"] for image in _search(client, params, page_size)]


def _with(params) -> dict:
    return {**params, "include_partners": "true"}


@pytest.fixture
def world(db):
    bob = UserFactory(username="bob")
    alice = UserFactory(username="alice", first_name="Alice", last_name="A")
    partnership = Partnership.objects.create(grantor=alice, grantee=bob, accepted_at=timezone.now())
    return {
        "bob": bob,
        "alice": alice,
        "partnership": partnership,
        "theirs": _paris(alice),
        "mine": _picture(bob, title="Sunset at home"),
        "client": _client(bob),
    }


class TestTheMix:
    def test_a_partners_pictures_come_marked_only_when_asked(self, world):
        client, theirs, mine = world["client"], world["theirs"], world["mine"]
        assert _ids(client, {"q": "sunset"}) == [str(mine.pk)]
        assert _ids(client, {"q": "sunset", "include_partners": "false"}) == [str(mine.pk)]
        found = {image["id"]: image for image in _search(client, _with({"q": "sunset"}))}
        assert set(found) == {str(mine.pk), str(theirs.pk)}
        assert found[str(mine.pk)]["partner"] is None
        assert found[str(theirs.pk)]["partner"] == {
            "id": str(world["alice"].pk),
            "display_name": "Alice A",
        }

    def test_the_body_is_the_gallerys(self, world):
        client, theirs = world["client"], world["theirs"]
        gallery = client.get(reverse("image-list"), {"include_partners": "true"}).json()
        in_gallery = {image["id"]: image for image in gallery["results"]}
        in_search = {image["id"]: image for image in _search(client, _with({"q": "sunset"}))}
        for key in (str(theirs.pk), str(world["mine"].pk)):
            assert in_search[key].keys() == in_gallery[key].keys()
            assert {k: v for k, v in in_search[key].items() if k != "urls"} == {
                k: v for k, v in in_gallery[key].items() if k != "urls"
            }
            assert in_search[key]["urls"].keys() == in_gallery[key]["urls"].keys()
        # What the grantor keeps back stays back.
        assert in_search[str(theirs.pk)]["place"] is None
        assert in_search[str(theirs.pk)]["original_filename"] == ""

    def test_a_bad_flag_is_a_400_naming_it(self, world):
        response = world["client"].get(reverse(SEARCH), {"include_partners": "yes"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "include_partners" in response.json()

    @pytest.mark.parametrize("state", ["pending", "ended", "stranger", "reversed", "inactive"])
    def test_no_accepted_partnership_no_pictures(self, world, state):
        partnership = world["partnership"]
        if state == "pending":
            Partnership.objects.filter(pk=partnership.pk).update(accepted_at=None)
        elif state == "ended":
            partnership.delete()
        elif state == "stranger":  # a stranger's pictures, alice's gone
            _paris(UserFactory(), title="Sunset")
            world["theirs"].delete()
        elif state == "reversed":  # bob shares his with alice: alice's are not his to see
            partnership.delete()
            Partnership.objects.create(
                grantor=world["bob"], grantee=world["alice"], accepted_at=timezone.now()
            )
        else:
            world["alice"].is_active = False
            world["alice"].save(update_fields=["is_active"])
        for params in ({"q": "sunset"}, {}, {"q": "sun"}):
            ids = _ids(world["client"], _with(params))
            assert ids == [str(world["mine"].pk)], (state, params)

    def test_before_since_trashed_and_locked_never(self, world):
        alice, client = world["alice"], world["client"]
        Partnership.objects.filter(pk=world["partnership"].pk).update(since=date(2022, 1, 1))
        _picture(alice, title="Sunset", taken_at=datetime(2021, 12, 31, 23, tzinfo=UTC))
        _picture(alice, title="Sunset", trashed_at=timezone.now())
        _picture(alice, title="Sunset", locked_at=timezone.now())
        on_the_day = _picture(alice, title="Sunset", taken_at=datetime(2022, 1, 1, tzinfo=UTC))
        expected = {str(world["mine"].pk), str(world["theirs"].pk), str(on_the_day.pk)}
        for params in ({"q": "sunset"}, {}, {"q": "2021"}, {"before": "2022-01-01"}):
            ids = _ids(client, _with(params))
            assert set(ids) <= expected, params
        assert set(_ids(client, _with({"q": "sunset"}))) == expected

    def test_own_only_filters_leave_partners_out(self, world):
        bob, client = world["bob"], world["client"]
        album = Album.objects.create(owner=bob, title="Sunset trip")
        AlbumImage.objects.create(album=album, image=world["mine"])
        Image.objects.filter(pk=world["theirs"].pk).update(is_favorite=True)
        assert _ids(client, _with({"album": str(album.pk)})) == [str(world["mine"].pk)]
        assert _ids(client, _with({"is_favorite": "true"})) == []
        both = {str(world["mine"].pk), str(world["theirs"].pk)}
        assert set(_ids(client, _with({"is_favorite": "false"}))) == both
        # An album-title word: the caller's own albums only; a partner's picture is found
        # by its own words.
        other = _picture(world["alice"], title="Nothing")
        assert str(other.pk) not in _ids(client, _with({"q": "trip"}))


class TestPrivacy:
    """A partner hiding its metadata: never found by it; showing it: found as one's own."""

    HIDDEN = [
        {"q": "paris"},
        {"q": "par"},
        {"q": "france"},
        {"q": "canon"},
        {"q": "eos r5"},
        {"q": "rf24"},
        {"q": "img"},
        {"q": "7777"},
        {"q": "sunset paris"},
        {"q": "sunset canon"},
        {"place": "Paris"},
        {"place": "FR"},
        {"camera": "Canon EOS R5"},
        {"has_location": "true"},
        {"has_location": "false"},
        {"q": "sunset", "place": "Paris"},
        {"q": "sunset", "camera": "canon"},
        {"q": "sunset", "has_location": "true"},
    ]

    @pytest.mark.parametrize("params", HIDDEN)
    def test_hidden_metadata_finds_nothing_of_theirs(self, world, params):
        assert str(world["theirs"].pk) not in _ids(world["client"], _with(params))

    @pytest.mark.parametrize(
        "params",
        [{"q": "sunset"}, {"q": "suns"}, {"q": "SÜNSET "}, {"q": "sunset 2022"}, {}],
    )
    def test_hidden_metadata_the_title_finds_it(self, world, params):
        assert str(world["theirs"].pk) in _ids(world["client"], _with(params))

    def test_hidden_metadata_the_description_does_not_either(self, world):
        # The description shares its folded column with the file name and the lens.
        assert str(world["theirs"].pk) not in _ids(world["client"], _with({"q": "beach"}))

    @pytest.mark.parametrize(
        "params",
        [
            {"q": "paris"},
            {"q": "france sunset"},
            {"q": "canon"},
            {"q": "beach"},
            {"q": "7777"},
            {"place": "Paris"},
            {"place": "fr"},
            {"camera": "eos r5"},
            {"has_location": "true"},
        ],
    )
    def test_shown_metadata_finds_it_as_ones_own(self, world, params):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_metadata=True)
        assert str(world["theirs"].pk) in _ids(world["client"], _with(params))

    def test_shown_metadata_still_not_without_the_flag(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_metadata=True)
        assert _ids(world["client"], {"q": "paris"}) == []

    def test_per_partnership(self, world):
        """Two partners: the one showing its metadata is found by place, the other not."""
        carol = UserFactory(username="carol")
        Partnership.objects.create(
            grantor=carol, grantee=world["bob"], accepted_at=timezone.now(), show_metadata=True
        )
        carols = _paris(carol)
        for params in ({"q": "paris"}, {"place": "Paris"}, {"camera": "canon"}):
            assert _ids(world["client"], _with(params)) == [str(carols.pk)], params

    def test_suggestions_stay_my_own(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_metadata=True)
        response = world["client"].get(
            reverse("search-suggestions"), {"q": "par", "include_partners": "true"}
        )
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == []


class TestRankAndCost:
    def test_one_rank_and_cursor_across_the_mix(self, world):
        bob, alice, client = world["bob"], world["alice"], world["client"]
        carol = UserFactory()
        Partnership.objects.create(
            grantor=carol, grantee=bob, accepted_at=timezone.now(), show_metadata=True
        )
        made = []
        for i in range(6):
            at = T0 + timedelta(days=i % 3)  # ties on the timeline: the id decides
            made += [
                _picture(bob, title="Sea", taken_at=at),
                _picture(bob, title="x", description="sea", taken_at=at),
                _picture(alice, title="Sea", taken_at=at),
                _picture(carol, title="Sea", taken_at=at),
                _picture(carol, title="x", description="sea", taken_at=at),
                _picture(alice, title="x", description="sea", taken_at=at),  # hidden: no
            ]
        everything = _search(client, _with({"q": "sea"}))
        ids = [image["id"] for image in everything]
        by_id = {str(image.pk): image for image in made}
        expected = sorted(
            (image for image in made if not (image.owner_id == alice.pk and image.title == "x")),
            key=lambda image: (
                image.title != "Sea",
                -image.timeline_at.timestamp(),
                -uuid.UUID(str(image.pk)).int,
            ),
        )
        assert ids == [str(image.pk) for image in expected]
        assert {by_id[i].owner_id for i in ids} == {bob.pk, alice.pk, carol.pk}
        for size in (1, 4, 7):
            assert _ids(client, _with({"q": "sea"}), page_size=size) == ids
        # And back: the previous links walk the same pages.
        first = client.get(reverse(SEARCH), _with({"q": "sea", "page_size": 5})).json()
        second = client.get(first["next"]).json()
        back = client.get(second["previous"]).json()
        assert [image["id"] for image in back["results"]] == ids[:5]

    def test_one_partner_and_three_cost_the_same_queries(self, world):
        bob, client = world["bob"], world["client"]

        def queries(params) -> int:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse(SEARCH), _with({**params, "page_size": 100}))
            assert response.status_code == HTTPStatus.OK
            assert response.json()["results"]
            return len(captured)

        cases = [{"q": "sunset"}, {}, {"q": "sunset", "kind": "photo"}]
        one = [queries(params) for params in cases]
        for n in range(2):
            grantor = UserFactory(username=f"grantor{n}")
            Partnership.objects.create(
                grantor=grantor, grantee=bob, accepted_at=timezone.now(), show_metadata=n == 0
            )
            for _ in range(3):
                _paris(grantor)
        assert len(_ids(client, _with({"q": "sunset"}))) == 1 + 1 + 6
        assert [queries(params) for params in cases] == one
