"""Partner sharing through the API: the partnerships (offer, accept, change, end), a
partner's library, and the gallery with partners' pictures mixed in (``include_partners``).

Rows are made directly (no files: nothing here serves bytes; what is served, to whom and by
which URL is ``test_partner_privacy``'s). Every caller kind is asked: the grantor, the
grantee before and after accepting, after either side ended it, a stranger and nobody.
"""

import uuid
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from images.models import Image, Partnership
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
BAD_REQUEST, UNAUTHORIZED, NOT_FOUND = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.NOT_FOUND,
)
TOO_MANY = HTTPStatus.TOO_MANY_REQUESTS


def _client(user) -> APIClient:
    client = APIClient()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == OK, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def _image(owner, **fields) -> Image:
    defaults = {
        "format": "jpeg",
        "width": 4,
        "height": 3,
        "size": 10,
        "checksum": "a" * 64,
        "status": Image.Status.READY,
        "thumbnail_key": f"{owner.pk}/x/thumbnail.jpg",
        "original_filename": "IMG_0001.jpg",
    }
    image = Image.objects.create(owner=owner, **{**defaults, **fields})
    if "created_at" in fields:  # auto_now_add ignores it on create
        Image.objects.filter(pk=image.pk).update(created_at=fields["created_at"])
        image.refresh_from_db()
    return image


def _partnership(grantor, grantee, *, accepted=True, **fields) -> Partnership:
    return Partnership.objects.create(
        grantor=grantor,
        grantee=grantee,
        accepted_at=timezone.now() if accepted else None,
        **fields,
    )


def _ids(body: dict) -> list[str]:
    return [item["id"] for item in body["results"]]


@pytest.fixture
def grantor(user):
    user.first_name, user.last_name = "Alice", "Liddell"
    user.save()
    return user


@pytest.fixture
def grantee(db):
    return UserFactory(username="bob", email="Bob@Example.com")


@pytest.fixture
def stranger(other_user):
    return other_user


@pytest.fixture
def clients(grantor, grantee, stranger) -> dict[str, APIClient]:
    return {
        "grantor": _client(grantor),
        "grantee": _client(grantee),
        "stranger": _client(stranger),
        "anonymous": APIClient(),
    }


# --- the partnerships --------------------------------------------------------------------------


class TestPartnershipCreate:
    def test_the_grantor_offers_by_username_and_it_is_pending(self, clients, grantee):
        response = clients["grantor"].post(reverse("partner-list"), {"user": "BOB"})
        assert response.status_code == CREATED, response.content
        body = response.json()
        assert body["direction"] == "granted"
        assert body["status"] == "pending" and body["accepted_at"] is None
        assert body["account"] == {
            "id": str(grantee.pk),
            "username": "bob",
            "display_name": "bob",
        }
        assert body["since"] is None
        assert body["show_originals"] is False and body["show_metadata"] is False

    def test_by_email_with_since_and_settings(self, clients):
        response = clients["grantor"].post(
            reverse("partner-list"),
            {
                "user": "bob@example.COM",
                "since": "2024-05-01",
                "show_originals": True,
                "show_metadata": False,
            },
        )
        assert response.status_code == CREATED, response.content
        body = response.json()
        assert body["since"] == "2024-05-01" and body["show_originals"] is True

    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("nobody-here", "no_such_account"),
            ("nobody@example.com", "no_such_account"),
            ("", None),
            ("alice", "partner_self"),
        ],
    )
    def test_unknown_account_or_oneself_is_a_400_with_its_code(self, clients, name, code):
        response = clients["grantor"].post(reverse("partner-list"), {"user": name})
        assert response.status_code == BAD_REQUEST
        body = response.json()
        assert "user" in body
        if code is not None:
            assert body["code"] == code

    def test_an_inactive_account_is_no_such_account(self, clients, grantee):
        grantee.is_active = False
        grantee.save()
        response = clients["grantor"].post(reverse("partner-list"), {"user": "bob"})
        assert response.status_code == BAD_REQUEST
        assert response.json()["code"] == "no_such_account"

    def test_offering_twice_is_partner_exists_but_the_other_direction_is_its_own(
        self, clients, grantor, grantee
    ):
        assert clients["grantor"].post(reverse("partner-list"), {"user": "bob"}).status_code == 201
        again = clients["grantor"].post(reverse("partner-list"), {"user": "bob"})
        assert again.status_code == BAD_REQUEST and again.json()["code"] == "partner_exists"
        back = clients["grantee"].post(reverse("partner-list"), {"user": "alice"})
        assert back.status_code == CREATED
        assert Partnership.objects.count() == 2

    def test_unknown_fields_and_non_booleans_are_refused(self, clients):
        for body in (
            {"user": "bob", "accepted_at": "2024-01-01T00:00:00Z"},
            {"user": "bob", "show_originals": "yes"},
            {"user": "bob", "since": "yesterday"},
        ):
            response = clients["grantor"].post(reverse("partner-list"), body)
            assert response.status_code == BAD_REQUEST, body
        assert not Partnership.objects.exists()

    def test_anonymous_is_a_401(self, clients):
        response = clients["anonymous"].post(reverse("partner-list"), {"user": "bob"})
        assert response.status_code == UNAUTHORIZED


class TestPartnerInviteRateLimit:
    def test_offers_are_limited_per_account_whether_the_name_exists_or_not(self, clients, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "partner_invite": "3/h",
            },
        }
        statuses = [
            clients["grantor"].post(reverse("partner-list"), {"user": f"guess{n}"}).status_code
            for n in range(3)
        ]
        assert statuses == [BAD_REQUEST] * 3
        throttled = clients["grantor"].post(reverse("partner-list"), {"user": "bob"})
        assert throttled.status_code == TOO_MANY
        assert throttled.json()["code"] == "throttled"
        assert not Partnership.objects.exists()

    def test_other_accounts_from_the_same_address_share_its_allowance(self, clients, settings):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "partner_invite": "2/h",
            },
        }
        for name in ("guess1", "guess2"):
            clients["grantor"].post(reverse("partner-list"), {"user": name})
        response = clients["stranger"].post(reverse("partner-list"), {"user": "guess3"})
        assert response.status_code == TOO_MANY

    def test_the_default_rate_is_registrations(self, settings):
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        assert rates["partner_invite"] == rates["register"] == "20/h"


class TestPartnershipList:
    def test_both_directions_with_the_other_account(self, clients, grantor, grantee, stranger):
        granted = _partnership(grantor, grantee, accepted=False)
        received = _partnership(stranger, grantor, since=date(2024, 1, 2))
        _partnership(stranger, grantee)  # not alice's: never listed to her
        body = clients["grantor"].get(reverse("partner-list")).json()
        by_id = {item["id"]: item for item in body["results"]}
        assert set(by_id) == {str(granted.pk), str(received.pk)}
        assert by_id[str(granted.pk)]["direction"] == "granted"
        assert by_id[str(granted.pk)]["status"] == "pending"
        assert by_id[str(granted.pk)]["account"]["username"] == "bob"
        assert by_id[str(received.pk)]["direction"] == "received"
        assert by_id[str(received.pk)]["status"] == "accepted"
        assert by_id[str(received.pk)]["since"] == "2024-01-02"
        assert by_id[str(received.pk)]["account"]["username"] == "mallory"

    def test_the_grantee_sees_the_grantors_full_name(self, clients, grantor, grantee):
        _partnership(grantor, grantee, accepted=False)
        [item] = clients["grantee"].get(reverse("partner-list")).json()["results"]
        assert item["direction"] == "received" and item["status"] == "pending"
        assert item["account"]["display_name"] == "Alice Liddell"

    def test_a_stranger_sees_none_and_nobody_is_a_401(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee)
        assert clients["stranger"].get(reverse("partner-list")).json()["results"] == []
        detail = reverse("partner-detail", kwargs={"pk": partnership.pk})
        assert clients["stranger"].get(detail).status_code == NOT_FOUND
        assert clients["anonymous"].get(reverse("partner-list")).status_code == UNAUTHORIZED
        assert clients["anonymous"].get(detail).status_code == UNAUTHORIZED

    def test_either_side_reads_one(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee)
        detail = reverse("partner-detail", kwargs={"pk": partnership.pk})
        assert clients["grantor"].get(detail).json()["direction"] == "granted"
        assert clients["grantee"].get(detail).json()["direction"] == "received"

    def test_constant_queries(self, clients, grantor, django_assert_max_num_queries):
        for _ in range(5):
            _partnership(grantor, UserFactory())
            _partnership(UserFactory(), grantor)
        with django_assert_max_num_queries(3):
            response = clients["grantor"].get(reverse("partner-list"))
        assert len(response.json()["results"]) == 10


class TestPartnershipAccept:
    def test_the_grantee_accepts_and_again_changes_nothing(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee, accepted=False)
        url = reverse("partner-accept", kwargs={"pk": partnership.pk})
        first = clients["grantee"].post(url)
        assert first.status_code == OK and first.json()["status"] == "accepted"
        second = clients["grantee"].post(url)
        assert second.json()["accepted_at"] == first.json()["accepted_at"]

    @pytest.mark.parametrize("caller", ["grantor", "stranger"])
    def test_no_one_else_accepts(self, clients, grantor, grantee, caller):
        partnership = _partnership(grantor, grantee, accepted=False)
        response = clients[caller].post(reverse("partner-accept", kwargs={"pk": partnership.pk}))
        assert response.status_code == NOT_FOUND and response.json()["code"] == "not_found"
        partnership.refresh_from_db()
        assert partnership.accepted_at is None

    def test_nobody_is_a_401_and_an_unknown_id_a_404(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee, accepted=False)
        url = reverse("partner-accept", kwargs={"pk": partnership.pk})
        assert clients["anonymous"].post(url).status_code == UNAUTHORIZED
        missing = reverse("partner-accept", kwargs={"pk": uuid.uuid4()})
        assert clients["grantee"].post(missing).status_code == NOT_FOUND


class TestPartnershipUpdate:
    def test_the_grantor_changes_since_and_settings(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee)
        url = reverse("partner-detail", kwargs={"pk": partnership.pk})
        response = clients["grantor"].patch(
            url, {"since": "2023-12-31", "show_metadata": True}, format="json"
        )
        assert response.status_code == OK, response.content
        partnership.refresh_from_db()
        assert partnership.since == date(2023, 12, 31)
        assert partnership.show_metadata and not partnership.show_originals
        cleared = clients["grantor"].patch(url, {"since": None}, format="json")
        assert cleared.json()["since"] is None

    @pytest.mark.parametrize("caller", ["grantee", "stranger"])
    def test_no_one_else_changes_it(self, clients, grantor, grantee, caller):
        partnership = _partnership(grantor, grantee)
        url = reverse("partner-detail", kwargs={"pk": partnership.pk})
        response = clients[caller].patch(url, {"show_originals": True}, format="json")
        assert response.status_code == NOT_FOUND
        partnership.refresh_from_db()
        assert not partnership.show_originals

    def test_the_parties_are_not_fields(self, clients, grantor, grantee, stranger):
        partnership = _partnership(grantor, grantee)
        url = reverse("partner-detail", kwargs={"pk": partnership.pk})
        response = clients["grantor"].patch(url, {"grantee": str(stranger.pk)}, format="json")
        assert response.status_code == BAD_REQUEST
        assert clients["anonymous"].patch(url, {}, format="json").status_code == UNAUTHORIZED


class TestPartnershipEnd:
    @pytest.mark.parametrize("caller", ["grantor", "grantee"])
    @pytest.mark.parametrize("accepted", [True, False])
    def test_either_side_ends_it_pending_or_accepted(
        self, clients, grantor, grantee, caller, accepted
    ):
        partnership = _partnership(grantor, grantee, accepted=accepted)
        url = reverse("partner-detail", kwargs={"pk": partnership.pk})
        assert clients[caller].delete(url).status_code == NO_CONTENT
        assert not Partnership.objects.exists()
        assert clients[caller].delete(url).status_code == NOT_FOUND

    def test_a_stranger_and_nobody_cannot(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee)
        url = reverse("partner-detail", kwargs={"pk": partnership.pk})
        assert clients["stranger"].delete(url).status_code == NOT_FOUND
        assert clients["anonymous"].delete(url).status_code == UNAUTHORIZED
        assert Partnership.objects.exists()

    def test_ending_it_ends_the_library_at_once(self, clients, grantor, grantee):
        partnership = _partnership(grantor, grantee)
        _image(grantor)
        library = reverse("partner-image-list", kwargs={"grantor_id": grantor.pk})
        assert clients["grantee"].get(library).status_code == OK
        clients["grantor"].delete(reverse("partner-detail", kwargs={"pk": partnership.pk}))
        assert clients["grantee"].get(library).status_code == NOT_FOUND


# --- a partner's library -----------------------------------------------------------------------


@pytest.fixture
def library(grantor, grantee, stranger):
    """Alice's pictures: live ones (one taken before 2024, one without a date uploaded in
    2023), one in the trash; the stranger's; and the partnerships: alice → bob accepted."""
    old = timezone.now() - timedelta(days=900)
    pictures = {
        "recent": _image(grantor, title="recent", taken_at=timezone.now() - timedelta(days=3)),
        "taken_2022": _image(grantor, title="taken 2022", taken_at=old.replace(year=2022)),
        "undated_2023": _image(
            grantor, title="undated 2023", created_at=old.replace(year=2023, month=6)
        ),
        "trashed": _image(grantor, title="trashed", trashed_at=timezone.now()),
        "strangers": _image(stranger, title="mallory's"),
        "grantees": _image(grantee, title="bob's"),
    }
    partnership = _partnership(grantor, grantee)
    return {"partnership": partnership, **pictures}


def _library_url(grantor) -> str:
    return reverse("partner-image-list", kwargs={"grantor_id": grantor.pk})


def _detail_url(grantor, image) -> str:
    return reverse("partner-image-detail", kwargs={"grantor_id": grantor.pk, "image_id": image.pk})


class TestPartnerLibraryList:
    def test_the_partner_sees_the_grantors_live_pictures_marked(self, clients, grantor, library):
        body = clients["grantee"].get(_library_url(grantor)).json()
        assert set(_ids(body)) == {
            str(library[name].pk) for name in ("recent", "taken_2022", "undated_2023")
        }
        item = body["results"][0]
        assert item["partner"] == {"id": str(grantor.pk), "display_name": "Alice Liddell"}
        assert item["owner"] == str(grantor.pk)
        # Kept back unless the grantor shows it.
        assert item["original_filename"] == ""
        assert set(item["metadata"].values()) == {None}
        assert item["size"] is None and item["checksum"] is None
        assert item["is_favorite"] is False and item["error"] is None
        assert "original" not in item["urls"] and "thumbnail" in item["urls"]

    def test_since_keeps_what_was_taken_or_uploaded_before_it_out(self, clients, grantor, library):
        library["partnership"].since = date(2023, 1, 1)
        library["partnership"].save()
        body = clients["grantee"].get(_library_url(grantor)).json()
        assert set(_ids(body)) == {str(library[n].pk) for n in ("recent", "undated_2023")}

    def test_metadata_and_file_names_where_the_grantor_shows_them(self, clients, grantor, library):
        Image.objects.filter(pk=library["recent"].pk).update(metadata={"camera_make": "Leica"})
        Partnership.objects.update(show_metadata=True, show_originals=True)
        item = clients["grantee"].get(_detail_url(grantor, library["recent"])).json()
        assert item["metadata"]["camera_make"] == "Leica"
        assert item["original_filename"] == "IMG_0001.jpg"
        assert item["size"] == 10 and item["checksum"] == "a" * 64

    @pytest.mark.parametrize("caller", ["grantor", "pending", "ended", "stranger"])
    def test_anyone_but_an_accepted_partner_gets_404(
        self, clients, grantor, grantee, library, caller
    ):
        if caller == "pending":
            Partnership.objects.update(accepted_at=None)
        if caller == "ended":
            Partnership.objects.all().delete()
        client = clients["grantee" if caller in ("pending", "ended") else caller]
        for url in (_library_url(grantor), _detail_url(grantor, library["recent"])):
            response = client.get(url)
            assert response.status_code == NOT_FOUND, (caller, url)
            assert response.json() == {"detail": "Not found.", "code": "not_found"}

    def test_nobody_is_a_401(self, clients, grantor, library):
        assert clients["anonymous"].get(_library_url(grantor)).status_code == UNAUTHORIZED
        detail = _detail_url(grantor, library["recent"])
        assert clients["anonymous"].get(detail).status_code == UNAUTHORIZED

    def test_the_other_direction_opens_nothing(self, clients, grantee, library):
        # Alice shares with Bob; Bob shares nothing with Alice.
        assert clients["grantor"].get(_library_url(grantee)).status_code == NOT_FOUND

    @pytest.mark.parametrize("name", ["trashed", "strangers", "grantees"])
    def test_a_picture_out_of_the_scope_is_a_404(self, clients, grantor, library, name):
        response = clients["grantee"].get(_detail_url(grantor, library[name]))
        assert response.status_code == NOT_FOUND

    def test_a_picture_before_since_is_a_404(self, clients, grantor, library):
        Partnership.objects.update(since=date(2023, 1, 1))
        response = clients["grantee"].get(_detail_url(grantor, library["taken_2022"]))
        assert response.status_code == NOT_FOUND

    def test_an_inactive_grantor_shares_nothing(self, clients, grantor, library):
        grantor.is_active = False
        grantor.save()
        assert clients["grantee"].get(_library_url(grantor)).status_code == NOT_FOUND

    def test_ordered_and_paged_by_cursor(self, clients, grantor, library):
        url = _library_url(grantor)
        first = clients["grantee"].get(url, {"page_size": 2, "ordering": "-taken_at"}).json()
        assert _ids(first) == [str(library["recent"].pk), str(library["taken_2022"].pk)]
        second = clients["grantee"].get(first["next"]).json()
        assert _ids(second) == [str(library["undated_2023"].pk)]
        bad = clients["grantee"].get(url, {"ordering": "title"})
        assert bad.status_code == BAD_REQUEST

    @pytest.mark.parametrize("count", [1, 10])
    def test_constant_queries(
        self, clients, grantor, grantee, library, count, django_assert_max_num_queries
    ):
        for _ in range(count):
            _image(grantor)
        with django_assert_max_num_queries(3):
            response = clients["grantee"].get(_library_url(grantor), {"page_size": 100})
        assert len(response.json()["results"]) == 3 + count


# --- the gallery with partners' pictures -------------------------------------------------------


class TestGalleryIncludePartners:
    def test_without_the_flag_only_ones_own(self, clients, grantee, library):
        body = clients["grantee"].get(reverse("image-list")).json()
        assert _ids(body) == [str(library["grantees"].pk)]
        assert body["results"][0]["partner"] is None  # one shape: null for one's own
        off = clients["grantee"].get(reverse("image-list"), {"include_partners": "false"})
        assert _ids(off.json()) == [str(library["grantees"].pk)]

    def test_partners_pictures_are_mixed_in_and_marked(self, clients, grantor, grantee, library):
        body = clients["grantee"].get(reverse("image-list"), {"include_partners": "true"}).json()
        expected = {
            str(library[n].pk) for n in ("grantees", "recent", "taken_2022", "undated_2023")
        }
        assert set(_ids(body)) == expected
        marks = {item["id"]: item["partner"] for item in body["results"]}
        assert marks[str(library["grantees"].pk)] is None
        assert marks[str(library["recent"].pk)] == {
            "id": str(grantor.pk),
            "display_name": "Alice Liddell",
        }
        partner_item = next(i for i in body["results"] if i["id"] == str(library["recent"].pk))
        assert "/partner-libraries/" in partner_item["urls"]["thumbnail"]
        own_item = next(i for i in body["results"] if i["id"] == str(library["grantees"].pk))
        assert f"/images/{library['grantees'].pk}/" in own_item["urls"]["thumbnail"]
        assert own_item["checksum"] == "a" * 64

    def test_in_the_galleries_order_by_one_cursor(self, clients, grantor, grantee, library):
        url = reverse("image-list")
        params = {"include_partners": "true", "ordering": "-taken_at", "page_size": 2}
        seen: list[str] = []
        body = clients["grantee"].get(url, params).json()
        seen += _ids(body)
        while body["next"]:
            body = clients["grantee"].get(body["next"]).json()
            seen += _ids(body)
        # The dated first, latest first (mine has no date, nor does undated_2023): theirs
        # and mine in one sequence.
        assert seen[:2] == [str(library["recent"].pk), str(library["taken_2022"].pk)]
        assert set(seen[2:]) == {str(library["grantees"].pk), str(library["undated_2023"].pk)}
        assert len(seen) == 4

    @pytest.mark.parametrize("state", ["pending", "ended", "reverse"])
    def test_only_accepted_partners_who_grant_the_caller(
        self, clients, grantor, grantee, library, state
    ):
        if state == "pending":
            Partnership.objects.update(accepted_at=None)
        if state == "ended":
            Partnership.objects.all().delete()
        client = clients["grantee"]
        if state == "reverse":  # alice granted bob; alice's gallery never shows bob's
            client = clients["grantor"]
        body = client.get(reverse("image-list"), {"include_partners": "true"}).json()
        assert all(item["partner"] is None for item in body["results"])
        assert str(library["strangers"].pk) not in _ids(body)

    def test_never_the_trash_anything_before_since_or_a_strangers(self, clients, grantee, library):
        Partnership.objects.update(since=date(2023, 1, 1))
        body = clients["grantee"].get(reverse("image-list"), {"include_partners": "true"}).json()
        ids = set(_ids(body))
        for name in ("trashed", "taken_2022", "strangers"):
            assert str(library[name].pk) not in ids

    def test_filters_about_ones_own_pictures_list_no_partners(self, clients, library):
        Image.objects.update(is_favorite=True)  # alice's favourites are not bob's
        url = reverse("image-list")
        for params in ({"checksum": "a" * 64}, {"is_favorite": "true"}):
            body = clients["grantee"].get(url, {"include_partners": "true", **params}).json()
            assert _ids(body) == [str(library["grantees"].pk)], params

    def test_search_finds_a_partners_picture_by_title_never_by_file_name(self, clients, library):
        url = reverse("image-list")
        body = clients["grantee"].get(url, {"include_partners": "true", "search": "recent"})
        assert _ids(body.json()) == [str(library["recent"].pk)]
        by_name = clients["grantee"].get(url, {"include_partners": "true", "search": "IMG_0001"})
        assert _ids(by_name.json()) == [str(library["grantees"].pk)]

    def test_style_and_date_filters_hold_for_partners_pictures(self, clients, library):
        url = reverse("image-list")
        params = {"include_partners": "true", "taken_before": "2023-01-01T00:00:00Z"}
        assert _ids(clients["grantee"].get(url, params).json()) == [str(library["taken_2022"].pk)]

    @pytest.mark.parametrize("value", ["yes", "1", "True", ""])
    def test_a_flag_that_is_not_true_or_false_is_a_400(self, clients, library, value):
        response = clients["grantee"].get(reverse("image-list"), {"include_partners": value})
        assert response.status_code == BAD_REQUEST
        assert "include_partners" in response.json()

    def test_the_flag_widens_no_other_action(self, clients, grantor, library):
        recent = library["recent"]
        for name in ("image-detail", "image-thumbnail", "image-original"):
            url = reverse(name, kwargs={"pk": recent.pk})
            response = clients["grantee"].get(url, {"include_partners": "true"})
            assert response.status_code == NOT_FOUND, name
        response = clients["grantee"].patch(
            f"{reverse('image-detail', kwargs={'pk': recent.pk})}?include_partners=true",
            {"title": "mine now"},
            format="json",
        )
        assert response.status_code == NOT_FOUND
        assert (
            clients["grantee"]
            .get(reverse("trash-list"), {"include_partners": "true"})
            .json()["results"]
            == []
        )

    def test_nobody_is_a_401(self, clients):
        response = clients["anonymous"].get(reverse("image-list"), {"include_partners": "true"})
        assert response.status_code == UNAUTHORIZED

    @pytest.mark.parametrize("partners", [0, 1, 3])
    def test_constant_queries_whatever_the_number_of_partners(
        self, grantee, partners, django_assert_max_num_queries
    ):
        client = _client(grantee)
        for _ in range(5):
            _image(grantee)
        for _ in range(partners):
            other = UserFactory()
            _partnership(other, grantee)
            for _ in range(5):
                _image(other)
        with django_assert_max_num_queries(3):
            response = client.get(
                reverse("image-list"), {"include_partners": "true", "page_size": 100}
            )
        assert response.status_code == OK
        assert len(response.json()["results"]) == 5 + 5 * partners
