"""What a partner's library serves, to whom, and by which URL: every caller kind on every
rendition, the signed URLs a partner is handed (and every way of moving or outliving one),
and the originals with or without their metadata.

Real small files uploaded through the API (``upload``), since bytes are what is at stake;
the partnerships are rows made directly.
"""

import io
import uuid
from datetime import date, timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from core.grants import Grant
from images import access
from images.access import Action, Rendition
from images.models import Image, Partnership
from tests.factories import DEFAULT_PASSWORD, UserFactory

OK, NOT_FOUND, UNAUTHORIZED = HTTPStatus.OK, HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED
STILLS = ("processed", "preview", "thumbnail")
RENDITIONS = (*STILLS, "original", "video", "motion")
SECRETS = (b"SECRETCAM", b"SECRETMODEL")


def _client(user) -> APIClient:
    client = APIClient()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == OK, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def _camera_photo() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "SECRETCAM"  # Make
    exif[0x0110] = "SECRETMODEL"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)
    picture = PILImage.new("RGB", (64, 48), (120, 30, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _rendition_url(grantor_id, image_id, rendition: str, query: str = "") -> str:
    url = reverse(
        f"partner-image-{rendition}", kwargs={"grantor_id": grantor_id, "image_id": image_id}
    )
    return f"{url}?{query}" if query else url


def _query(url: str) -> str:
    return urlsplit(url).query


@pytest.fixture
def world(user, auth_client, upload):
    """Alice's photo with camera EXIF and a second photo; Bob her accepted partner, Penny
    offered but not accepting, Mallory a stranger (who shares her own library with Bob)."""
    photo = upload(_camera_photo(), name="secret-place.jpg", title="")
    other = upload(title="second")
    bob, penny = UserFactory(username="bob"), UserFactory(username="penny")
    mallory = UserFactory(username="mallory")
    now = timezone.now()
    partnership = Partnership.objects.create(grantor=user, grantee=bob, accepted_at=now)
    Partnership.objects.create(grantor=user, grantee=penny)
    Partnership.objects.create(grantor=mallory, grantee=bob, accepted_at=now)
    return {
        "alice": user,
        "bob": bob,
        "penny": penny,
        "mallory": mallory,
        "photo": photo,
        "other": other,
        "partnership": partnership,
        "clients": {
            "grantor": auth_client,
            "grantee": _client(bob),
            "pending": _client(penny),
            "stranger": _client(mallory),
            "anonymous": APIClient(),
        },
    }


def _urls(world, image_key: str = "photo") -> dict[str, str]:
    """The URLs Bob's library page hands out for one of Alice's pictures."""
    body = world["clients"]["grantee"].get(
        reverse("partner-image-list", kwargs={"grantor_id": world["alice"].pk})
    )
    assert body.status_code == OK, body.content
    [item] = [i for i in body.json()["results"] if i["id"] == world[image_key]["id"]]
    return item["urls"]


pytestmark = pytest.mark.django_db


class TestRenditionsByCaller:
    @pytest.mark.parametrize("rendition", RENDITIONS)
    @pytest.mark.parametrize(
        "caller", ["grantor", "grantee", "pending", "ended", "stranger", "anonymous"]
    )
    def test_only_an_accepted_partner_gets_the_styled_renditions(self, world, caller, rendition):
        if caller == "ended":
            world["partnership"].delete()
        client = world["clients"]["grantee" if caller == "ended" else caller]
        url = _rendition_url(world["alice"].pk, world["photo"]["id"], rendition)
        response = client.get(url)
        if caller == "anonymous":
            assert response.status_code == UNAUTHORIZED
        elif caller == "grantee" and rendition in STILLS:
            assert response.status_code == OK
            assert response["Cache-Control"] == "private, no-cache"
            assert "secret-place" not in response["Content-Disposition"]
            for secret in SECRETS:
                assert secret not in _content(response)
        elif caller == "grantee" and rendition in ("video", "motion"):
            assert response.status_code == NOT_FOUND  # a photo has none: no_such_file
            assert response.json()["code"] == "no_such_file"
        else:
            assert response.status_code == NOT_FOUND, (caller, rendition)
            assert response.json() == {"detail": "Not found.", "code": "not_found"}

    def test_the_original_where_shown_is_stripped_of_its_metadata(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_originals=True)
        client = world["clients"]["grantee"]
        url = _rendition_url(world["alice"].pk, world["photo"]["id"], "original")
        response = client.get(url)
        assert response.status_code == OK
        data = _content(response)
        for secret in SECRETS:
            assert secret not in data
        served = PILImage.open(io.BytesIO(data))
        assert not served.getexif().get_ifd(0x8825)
        assert "secret-place" not in response["Content-Disposition"]

    def test_the_original_with_metadata_is_the_upload_itself(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(
            show_originals=True, show_metadata=True
        )
        response = world["clients"]["grantee"].get(
            _rendition_url(world["alice"].pk, world["photo"]["id"], "original")
        )
        assert response.status_code == OK
        assert _content(response) == _camera_photo()

    def test_metadata_alone_never_opens_the_original(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_metadata=True)
        response = world["clients"]["grantee"].get(
            _rendition_url(world["alice"].pk, world["photo"]["id"], "original")
        )
        assert response.status_code == NOT_FOUND

    @pytest.mark.parametrize("rendition", STILLS)
    def test_a_picture_trashed_or_before_since_serves_nothing(self, world, rendition):
        client = world["clients"]["grantee"]
        url = _rendition_url(world["alice"].pk, world["photo"]["id"], rendition)
        Partnership.objects.update(since=timezone.now().date() + timedelta(days=1))
        assert client.get(url).status_code == NOT_FOUND
        Partnership.objects.update(since=None)
        Image.objects.filter(pk=world["photo"]["id"]).update(trashed_at=timezone.now())
        assert client.get(url).status_code == NOT_FOUND

    def test_another_accounts_picture_under_the_grantors_library_is_a_404(self, world):
        bobs = world["clients"]["grantee"]
        mine = Image.objects.create(
            owner=world["mallory"], format="jpeg", width=1, height=1, size=1, checksum="0" * 64
        )
        url = _rendition_url(world["alice"].pk, mine.pk, "thumbnail")
        assert bobs.get(url).status_code == NOT_FOUND


class TestSignedUrls:
    def test_the_library_hands_out_urls_that_work_without_a_token(self, world):
        urls = _urls(world)
        assert set(urls) == {*STILLS, "expires_at"}
        for rendition in STILLS:
            response = APIClient().get(_path(urls[rendition]))
            assert response.status_code == OK, rendition

    def test_an_original_url_only_where_the_grantor_shows_originals(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_originals=True)
        url = _urls(world)["original"]
        response = APIClient().get(_path(url))
        assert response.status_code == OK
        for secret in SECRETS:
            assert secret not in _content(response)
        # Turned off again: the URL handed out opens nothing.
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_originals=False)
        assert APIClient().get(_path(url)).status_code == NOT_FOUND

    def test_moved_to_another_image_rendition_or_grantor_it_opens_nothing(self, world):
        sig = _query(_urls(world)["thumbnail"])
        alice, mallory = world["alice"].pk, world["mallory"].pk
        mallorys = Image.objects.create(
            owner=world["mallory"],
            format="jpeg",
            width=1,
            height=1,
            size=1,
            checksum="0" * 64,
            thumbnail_key="x/y/thumbnail.jpg",
        )
        for url in (
            _rendition_url(alice, world["other"]["id"], "thumbnail", sig),
            _rendition_url(alice, world["photo"]["id"], "preview", sig),
            _rendition_url(alice, world["photo"]["id"], "original", sig),
            _rendition_url(mallory, world["photo"]["id"], "thumbnail", sig),
            _rendition_url(mallory, mallorys.pk, "thumbnail", sig),
            _rendition_url(uuid.uuid4(), world["photo"]["id"], "thumbnail", sig),
        ):
            response = APIClient().get(url)
            assert response.status_code == NOT_FOUND, url
            assert response.json()["code"] == "not_found"

    def test_not_on_the_owners_paths_nor_the_owners_on_the_partners(self, world):
        partner_sig = _query(_urls(world)["thumbnail"])
        owner_url = reverse("image-thumbnail", kwargs={"pk": world["photo"]["id"]})
        assert APIClient().get(f"{owner_url}?{partner_sig}").status_code == NOT_FOUND
        owner_sig = _query(world["photo"]["urls"]["thumbnail"])
        url = _rendition_url(world["alice"].pk, world["photo"]["id"], "thumbnail", owner_sig)
        assert APIClient().get(url).status_code == NOT_FOUND

    @pytest.mark.parametrize(
        "change",
        [
            "ended",
            "ended_and_granted_again",
            "trashed",
            "before_since",
            "password_changed",
            "grantee_inactive",
            "grantor_inactive",
        ],
    )
    def test_a_handed_out_url_ends_with_what_it_stood_for(self, world, change):
        url = _path(_urls(world)["thumbnail"])
        assert APIClient().get(url).status_code == OK
        bob, alice = world["bob"], world["alice"]
        match change:
            case "ended":
                world["partnership"].delete()
            case "ended_and_granted_again":
                world["partnership"].delete()
                Partnership.objects.create(grantor=alice, grantee=bob, accepted_at=timezone.now())
            case "trashed":
                Image.objects.filter(pk=world["photo"]["id"]).update(trashed_at=timezone.now())
            case "before_since":
                Partnership.objects.filter(grantor=alice).update(since=date(2999, 1, 1))
            case "password_changed":
                bob.set_password("a-new-password-entirely")
                bob.save()
            case "grantee_inactive":
                bob.is_active = False
                bob.save()
            case "grantor_inactive":
                alice.is_active = False
                alice.save()
        response = APIClient().get(url)
        assert response.status_code == NOT_FOUND
        assert response.json() == {"detail": "Not found.", "code": "not_found"}

    @pytest.mark.parametrize("sig", ["", "garbage", "1.abc", "0" * 32 + ".99999999999.abc"])
    def test_a_forged_signature_is_a_404(self, world, sig):
        url = _rendition_url(world["alice"].pk, world["photo"]["id"], "thumbnail", f"sig={sig}")
        assert APIClient().get(url).status_code == NOT_FOUND

    def test_a_signed_url_opens_no_list_or_record(self, world):
        sig = _query(_urls(world)["thumbnail"])
        alice = world["alice"].pk
        for url in (
            reverse("partner-image-list", kwargs={"grantor_id": alice}),
            reverse(
                "partner-image-detail",
                kwargs={"grantor_id": alice, "image_id": world["photo"]["id"]},
            ),
        ):
            assert APIClient().get(f"{url}?{sig}").status_code == UNAUTHORIZED

    def test_the_gallerys_partner_urls_are_the_libraries(self, world):
        body = (
            world["clients"]["grantee"]
            .get(reverse("image-list"), {"include_partners": "true"})
            .json()
        )
        [item] = [i for i in body["results"] if i["id"] == world["photo"]["id"]]
        assert item["partner"]["id"] == str(world["alice"].pk)
        assert APIClient().get(_path(item["urls"]["thumbnail"])).status_code == OK
        for secret in SECRETS:
            assert secret not in str(item).encode()
        assert item["original_filename"] == ""


# --- the policy itself (rows only) ------------------------------------------------------------


def _row(owner, **fields) -> Image:
    defaults = {"format": "jpeg", "width": 4, "height": 3, "size": 10, "checksum": "0" * 64}
    return Image.objects.create(owner=owner, **{**defaults, **fields})


@pytest.fixture
def pair(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    partnership = Partnership.objects.create(grantor=alice, grantee=bob, accepted_at=timezone.now())
    return alice, bob, partnership


class TestThePartnerPolicy:
    def test_who_is_a_partner(self, pair):
        alice, bob, partnership = pair
        assert access.partner_principal(user=bob, grantor_id=alice.pk).partnership == partnership
        assert access.partner_principal(user=alice, grantor_id=bob.pk) is None
        assert access.partner_principal(user=AnonymousUser(), grantor_id=alice.pk) is None
        assert access.partner_principal(user=bob, grantor_id=uuid.uuid4()) is None
        Partnership.objects.update(accepted_at=None)
        assert access.partner_principal(user=bob, grantor_id=alice.pk) is None

    def test_what_a_partner_may_do_to_a_picture(self, pair):
        alice, bob, partnership = pair
        picture = _row(alice)
        partner = access.Partner(user=bob, partnership=partnership)
        allowed = {
            action
            for action in Action
            if access.access_allows(principal=partner, action=action, target=picture)
        }
        assert allowed == {Action.IMAGE_VIEW, Action.IMAGE_SAVE}
        partnership.show_metadata = True
        assert access.access_allows(principal=partner, action=Action.METADATA_VIEW, target=picture)
        original = Rendition(image=picture, name="original")
        assert (
            access.access_allows(
                principal=partner, action=Action.ORIGINAL_DOWNLOAD, target=original
            )
            is False
        )
        partnership.show_originals = True
        assert access.access_allows(
            principal=partner, action=Action.ORIGINAL_DOWNLOAD, target=original
        )

    def test_a_forged_principal_is_allowed_nothing(self, pair):
        alice, bob, partnership = pair
        picture = _row(alice)
        mallory = UserFactory(username="mallory")
        for partner in (
            access.Partner(user=mallory, partnership=partnership),
            access.Partner(
                user=bob,
                partnership=Partnership(grantor=alice, grantee=bob, accepted_at=None),
            ),
        ):
            assert not access.access_allows(
                principal=partner, action=Action.IMAGE_VIEW, target=picture
            )
            assert not access.images_visible(principal=partner).exists()

    def test_a_grant_opens_its_one_rendition_of_its_one_picture(self, pair):
        alice, bob, partnership = pair
        picture, other = _row(alice), _row(alice)
        grant = Grant(
            owner_id=alice.pk, object_id=picture.pk, actions=frozenset({"thumbnail"}), expires=0
        )
        partner = access.Partner(user=bob, partnership=partnership, grant=grant)
        view = Action.RENDITION_VIEW
        assert access.access_allows(
            principal=partner, action=view, target=Rendition(image=picture, name="thumbnail")
        )
        assert not access.access_allows(
            principal=partner, action=view, target=Rendition(image=picture, name="preview")
        )
        assert not access.access_allows(
            principal=partner, action=view, target=Rendition(image=other, name="thumbnail")
        )
        assert not access.access_allows(principal=partner, action=Action.IMAGE_VIEW, target=picture)
        assert list(access.images_visible(principal=partner)) == [picture]
        assert not access.access_possible(principal=partner, action=Action.IMAGE_VIEW)

    def test_the_scope_is_the_grantors_live_pictures_since(self, pair):
        alice, bob, partnership = pair
        now = timezone.now()
        live = _row(alice, taken_at=now)
        _row(alice, trashed_at=now)
        _row(alice, taken_at=now.replace(year=2020))
        _row(bob)
        _row(UserFactory(username="carol"))
        partnership.since = date(2021, 1, 1)
        partner = access.Partner(user=bob, partnership=partnership)
        assert list(access.images_visible(principal=partner)) == [live]

    def test_every_library_shared_with_one_by_the_same_rule(self, pair):
        _, bob, partnership = pair
        carol, dave = UserFactory(username="carol"), UserFactory(username="dave", is_active=False)
        Partnership.objects.create(grantor=carol, grantee=bob)  # pending
        Partnership.objects.create(grantor=dave, grantee=bob, accepted_at=timezone.now())
        Partnership.objects.create(grantor=bob, grantee=carol, accepted_at=timezone.now())
        partners = access.partner_principals(user=bob)
        assert [p.partnership for p in partners] == [partnership]
        assert access.partner_principals(user=AnonymousUser()) == []


# --- saving a partner's picture to one's own gallery --------------------------------------------


def _save(world, caller: str, image_key: str = "photo", **headers):
    url = reverse(
        "partner-image-save",
        kwargs={"grantor_id": world["alice"].pk, "image_id": world[image_key]["id"]},
    )
    return world["clients"][caller].post(url, **headers)


class TestSaveToMyLibrary:
    def test_the_partner_gets_a_picture_of_their_own_without_the_metadata(self, world):
        response = _save(world, "grantee")
        assert response.status_code == HTTPStatus.CREATED, response.content
        copy = Image.objects.get(pk=response.json()["id"])
        assert copy.owner == world["bob"]
        assert response["Location"].endswith(reverse("image-detail", kwargs={"pk": copy.pk}))
        # Originals are the grantor's choice, off: the styled rendition is what is copied.
        copied = _content(
            world["clients"]["grantee"].get(reverse("image-original", kwargs={"pk": copy.pk}))
        )
        assert not any(secret in copied for secret in SECRETS)
        assert copy.metadata.get("gps") is None

    def test_with_originals_and_metadata_shown_the_original_is_copied_as_it_is(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(
            show_originals=True, show_metadata=True
        )
        response = _save(world, "grantee")
        assert response.status_code == HTTPStatus.CREATED, response.content
        copied = _content(
            world["clients"]["grantee"].get(
                reverse("image-original", kwargs={"pk": response.json()["id"]})
            )
        )
        original = _content(
            world["clients"]["grantor"].get(
                reverse("image-original", kwargs={"pk": world["photo"]["id"]})
            )
        )
        assert copied == original

    def test_with_originals_but_no_metadata_the_copy_is_stripped(self, world):
        Partnership.objects.filter(pk=world["partnership"].pk).update(show_originals=True)
        response = _save(world, "grantee")
        assert response.status_code == HTTPStatus.CREATED, response.content
        copied = _content(
            world["clients"]["grantee"].get(
                reverse("image-original", kwargs={"pk": response.json()["id"]})
            )
        )
        assert not any(secret in copied for secret in SECRETS)

    @pytest.mark.parametrize(
        ("caller", "status"),
        [
            ("grantor", NOT_FOUND),  # one's own library is not a partner's
            ("pending", NOT_FOUND),
            ("stranger", NOT_FOUND),
            ("anonymous", UNAUTHORIZED),
        ],
    )
    def test_nobody_else_saves_anything(self, world, caller, status):
        before = Image.objects.count()
        response = _save(world, caller)
        assert response.status_code == status, response.content
        assert Image.objects.count() == before

    def test_an_ended_partnership_or_a_trashed_picture_saves_nothing(self, world):
        world["clients"]["grantor"].delete(
            reverse("image-detail", kwargs={"pk": world["other"]["id"]})
        )
        assert _save(world, "grantee", "other").status_code == NOT_FOUND
        Partnership.objects.filter(pk=world["partnership"].pk).delete()
        assert _save(world, "grantee").status_code == NOT_FOUND

    def test_over_quota_keeps_nothing(self, world, assert_storage_consistent):
        world["bob"].quota_images = 0
        world["bob"].save()
        response = _save(world, "grantee")
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        assert response.json()["code"] == "quota_exceeded"
        assert not Image.objects.filter(owner=world["bob"]).exists()
        assert_storage_consistent()

    def test_a_retry_with_its_idempotency_key_saves_once(self, world):
        first = _save(world, "grantee", HTTP_IDEMPOTENCY_KEY="save-once-1")
        again = _save(world, "grantee", HTTP_IDEMPOTENCY_KEY="save-once-1")
        assert first.status_code == again.status_code == HTTPStatus.CREATED
        assert first.json()["id"] == again.json()["id"]
        assert Image.objects.filter(owner=world["bob"]).count() == 1
