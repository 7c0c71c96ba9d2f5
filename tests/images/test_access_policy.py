"""The one access policy (``images.access``): every kind of caller × every action × every
state of a link, through HTTP where a caller can reach it, and the rule that no other module
decides what a link allows.

Principals: the owner (a token), another account, a signed rendition URL of the owner's, a
link's visitor (open, locked, unlocked) and a signed URL a link's page handed out. Actions:
view a rendition, download the original, see the camera's metadata, list an album, manage a
link, change or delete an image. A refusal is always the answer something missing gets.
"""

import ast
import io
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images import access
from images.models import Image, Share
from images.permissions import HasAccess

pytestmark = pytest.mark.django_db

OK, NO_CONTENT = HTTPStatus.OK, HTTPStatus.NO_CONTENT
UNAUTHORIZED, NOT_FOUND = HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND
SIGNED = ("processed", "preview", "thumbnail")
PASSWORD = "open sesame"
ROOT = Path(__file__).resolve().parents[2]


def _photo() -> bytes:
    """A JPEG whose EXIF names a camera and a place."""
    exif = PILImage.Exif()
    exif[0x010F] = "POLICYCAM"
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 09:30:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (120, 60, 30)).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _missing(response) -> None:
    """Exactly what something that does not exist answers."""
    assert response.status_code == NOT_FOUND, response.content
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


# --- the owner, another account and the owner's signed URLs ----------------------------------


@pytest.fixture
def owned(auth_client, upload) -> dict:
    image = upload(_photo(), title="Policy")
    album = auth_client.post(reverse("album-list"), {"title": "A"}, format="json").json()
    auth_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [image["id"]]},
        format="json",
    )
    share = auth_client.post(
        reverse("share-list"), {"image_ids": [image["id"]]}, format="json"
    ).json()
    return {"image": image, "album": album, "share": share}


# (what, route, method, key of the object, the owner's answer)
OWNER_ACTIONS = [
    pytest.param("image-detail", "get", "image", OK, id="image-view"),
    *(pytest.param(f"image-{r}", "get", "image", OK, id=f"rendition-{r}") for r in SIGNED),
    pytest.param("image-original", "get", "image", OK, id="original-download"),
    pytest.param("album-detail", "get", "album", OK, id="album-list"),
    pytest.param("share-detail", "get", "share", OK, id="share-manage-view"),
    pytest.param("share-detail", "patch", "share", OK, id="share-manage-change"),
    pytest.param("image-detail", "patch", "image", OK, id="image-update"),
    pytest.param("image-detail", "delete", "image", NO_CONTENT, id="image-delete"),
]


def _owned_call(client: APIClient, owned: dict, route: str, method: str, key: str):
    url = reverse(route, kwargs={"pk": owned[key]["id"]})
    body = {"title": "changed"} if method == "patch" else None
    return (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )


class TestOwnerAndOtherAccount:
    @pytest.mark.parametrize(("route", "method", "key", "answer"), OWNER_ACTIONS)
    def test_the_owner_may(self, auth_client, owned, route, method, key, answer):
        assert _owned_call(auth_client, owned, route, method, key).status_code == answer

    @pytest.mark.parametrize(("route", "method", "key", "answer"), OWNER_ACTIONS)
    def test_another_account_is_told_it_is_missing(
        self, other_client, owned, route, method, key, answer
    ):
        _missing(_owned_call(other_client, owned, route, method, key))

    def test_the_owner_sees_the_camera_metadata(self, auth_client, owned):
        body = auth_client.get(reverse("image-detail", kwargs={"pk": owned["image"]["id"]})).json()
        assert body["metadata"]["camera_make"] == "POLICYCAM"

    @pytest.mark.parametrize("rendition", [*SIGNED, "original"])
    def test_nothing_of_a_trashed_image_is_served_to_the_owner(self, auth_client, owned, rendition):
        pk = owned["image"]["id"]
        assert auth_client.delete(reverse("image-detail", kwargs={"pk": pk})).status_code == 204
        _missing(auth_client.get(reverse(f"image-{rendition}", kwargs={"pk": pk})))
        assert auth_client.get(reverse("trash-detail", kwargs={"pk": pk})).status_code == OK


class TestOwnersSignedUrls:
    @pytest.mark.parametrize("rendition", SIGNED)
    def test_a_signed_url_opens_its_rendition_and_nothing_else(self, api_client, owned, rendition):
        pk = owned["image"]["id"]
        url = owned["image"]["urls"][rendition]
        sig = parse_qs(urlsplit(url).query)["sig"][0]
        assert api_client.get(_path(url)).status_code == OK
        for other in SIGNED:
            if other != rendition:
                moved = reverse(f"image-{other}", kwargs={"pk": pk}) + f"?sig={sig}"
                _missing(api_client.get(moved))
        # Where a signature is no credential at all: the original, the record, a change.
        for route in ("image-original", "image-detail"):
            response = api_client.get(reverse(route, kwargs={"pk": pk}) + f"?sig={sig}")
            assert response.status_code == UNAUTHORIZED, route
        response = api_client.patch(
            reverse("image-detail", kwargs={"pk": pk}) + f"?sig={sig}",
            {"title": "x"},
            format="json",
        )
        assert response.status_code == UNAUTHORIZED

    def test_a_signed_url_stops_at_the_trash(self, api_client, auth_client, owned):
        url = _path(owned["image"]["urls"]["thumbnail"])
        auth_client.delete(reverse("image-detail", kwargs={"pk": owned["image"]["id"]}))
        _missing(api_client.get(url))

    def test_a_signed_url_stops_at_a_password_change(self, api_client, user, owned):
        url = _path(owned["image"]["urls"]["thumbnail"])
        user.set_password("an-entirely-new-pass-phrase-9")
        user.save()
        _missing(api_client.get(url))


# --- a link's visitors × the link's state ----------------------------------------------------


@dataclass
class Link:
    share: dict
    album: dict
    image: dict
    grant: str | None
    item: dict  # the image as the link's page showed it

    def page(self, client: APIClient, *, grant: bool = True):
        headers = {"HTTP_X_SHARE_GRANT": self.grant} if grant and self.grant else {}
        return client.get(
            reverse("shared-detail", kwargs={"token": self.share["token"]}), **headers
        )

    def url(self, rendition: str) -> str:
        return _path(self.item["urls"][rendition])


@pytest.fixture
def make_link(auth_client, upload):
    def make(*, password: bool = False, allow_original=True, show_metadata=True) -> Link:
        image = upload(_photo(), title="Shared")
        album = auth_client.post(reverse("album-list"), {"title": "Trip"}, format="json").json()
        auth_client.put(
            reverse("album-images", kwargs={"pk": album["id"]}),
            {"image_ids": [image["id"]]},
            format="json",
        )
        body = {
            "album": album["id"],
            "allow_original": allow_original,
            "show_metadata": show_metadata,
            **({"password": PASSWORD} if password else {}),
        }
        share = auth_client.post(reverse("share-list"), body, format="json").json()
        grant = None
        if password:
            grant = (
                APIClient()
                .post(
                    reverse("shared-unlock", kwargs={"token": share["token"]}),
                    {"password": PASSWORD},
                    format="json",
                )
                .json()["grant"]
            )
        link = Link(share, album, image, grant, {})
        [link.item] = link.page(APIClient()).json()["results"]
        return link

    return make


def _state_apply(state: str, link: Link, auth_client) -> None:
    share_url = reverse("share-detail", kwargs={"pk": link.share["id"]})
    if state == "expired":
        Share.objects.filter(pk=link.share["id"]).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif state == "revoked":
        assert auth_client.delete(share_url).status_code == NO_CONTENT
    elif state == "image_trashed":
        auth_client.delete(reverse("image-detail", kwargs={"pk": link.image["id"]}))
    elif state == "image_removed_from_album":
        response = auth_client.delete(
            reverse("album-images", kwargs={"pk": link.album["id"]}),
            {"image_ids": [link.image["id"]]},
            format="json",
        )
        assert response.status_code == OK
    else:
        assert state == "active"


STATES = ("active", "expired", "revoked", "image_trashed", "image_removed_from_album")


class TestLinkStates:
    @pytest.mark.parametrize("password", [False, True], ids=["open", "password"])
    @pytest.mark.parametrize("state", STATES)
    def test_what_a_visitor_gets_in_each_state(self, make_link, auth_client, state, password):
        link = make_link(password=password)
        _state_apply(state, link, auth_client)
        visitor = APIClient()

        page = link.page(visitor)
        if state in ("expired", "revoked"):
            _missing(page)
        else:
            assert page.status_code == OK
            shown = [item["id"] for item in page.json()["results"]]
            assert shown == ([link.image["id"]] if state == "active" else [])
        for rendition in (*SIGNED, "original"):
            response = visitor.get(link.url(rendition))
            if state == "active":
                assert response.status_code == OK, rendition
            else:
                _missing(response)

    def test_a_locked_link_asks_for_its_password_before_anything(self, make_link):
        link = make_link(password=True)
        visitor = APIClient()
        locked = link.page(visitor, grant=False)
        assert locked.status_code == UNAUTHORIZED
        assert locked.json()["code"] == "share_password_required"
        bare = reverse(
            "shared-thumbnail", kwargs={"token": link.share["token"], "image_id": link.image["id"]}
        )
        assert visitor.get(bare).status_code == UNAUTHORIZED
        # A URL signed after the password was given is proof enough on its own.
        assert visitor.get(link.url("thumbnail")).status_code == OK

    @pytest.mark.parametrize("password", [False, True], ids=["open", "unlocked"])
    def test_the_grant_alone_opens_no_file(self, make_link, password):
        link = make_link(password=password)
        visitor = APIClient()
        if link.grant:
            visitor.credentials(HTTP_X_SHARE_GRANT=link.grant)
        for rendition in (*SIGNED, "original"):
            bare = reverse(
                f"shared-{rendition}",
                kwargs={"token": link.share["token"], "image_id": link.image["id"]},
            )
            _missing(visitor.get(bare))
            _missing(visitor.get(f"{bare}?sig={link.grant or 'x'}"))

    def test_a_link_is_no_credential_for_the_owner_api(self, make_link):
        link = make_link(password=True)
        visitor = APIClient()
        visitor.credentials(HTTP_X_SHARE_GRANT=link.grant)
        pk = link.image["id"]
        for response in (
            visitor.get(reverse("image-detail", kwargs={"pk": pk})),
            visitor.patch(reverse("image-detail", kwargs={"pk": pk}), {"title": "x"}),
            visitor.delete(reverse("image-detail", kwargs={"pk": pk})),
            visitor.get(reverse("album-detail", kwargs={"pk": link.album["id"]})),
            visitor.get(reverse("share-detail", kwargs={"pk": link.share["id"]})),
            visitor.delete(reverse("share-detail", kwargs={"pk": link.share["id"]})),
            visitor.get(link.url("thumbnail").replace("shared", "images")),
        ):
            assert response.status_code in (UNAUTHORIZED, NOT_FOUND), response.content
        assert Image.objects.filter(pk=pk, trashed_at__isnull=True).exists()
        assert Share.objects.filter(pk=link.share["id"]).exists()


class TestLinkOptions:
    @pytest.mark.parametrize("allow_original", [False, True], ids=["no-original", "original"])
    @pytest.mark.parametrize("show_metadata", [False, True], ids=["no-metadata", "metadata"])
    def test_what_a_link_shows_follows_its_options(
        self, make_link, auth_client, allow_original, show_metadata
    ):
        link = make_link(allow_original=allow_original, show_metadata=show_metadata)
        item = link.item
        assert ("original" in item["urls"]) is allow_original
        assert ("metadata" in item) is show_metadata
        assert ("taken_at" in item) is show_metadata
        assert ("size" in item) is (allow_original and show_metadata)
        if show_metadata:
            assert item["metadata"]["camera_make"] == "POLICYCAM"
        if allow_original:
            served = _content(APIClient().get(link.url("original")))
            mine = _content(
                auth_client.get(reverse("image-original", kwargs={"pk": link.image["id"]}))
            )
            assert (served == mine) is show_metadata  # else stripped of its EXIF
            assert (b"POLICYCAM" in served) is show_metadata

    def test_turning_the_original_off_ends_the_urls_handed_out(self, make_link, auth_client):
        link = make_link(allow_original=True)
        url = link.url("original")
        assert APIClient().get(url).status_code == OK
        auth_client.patch(
            reverse("share-detail", kwargs={"pk": link.share["id"]}),
            {"allow_original": False},
            format="json",
        )
        _missing(APIClient().get(url))
        assert APIClient().get(link.url("thumbnail")).status_code == OK

    def test_hiding_metadata_strips_the_original_behind_urls_handed_out(
        self, make_link, auth_client
    ):
        link = make_link(allow_original=True, show_metadata=True)
        url = link.url("original")
        assert b"POLICYCAM" in _content(APIClient().get(url))
        auth_client.patch(
            reverse("share-detail", kwargs={"pk": link.share["id"]}),
            {"show_metadata": False},
            format="json",
        )
        assert b"POLICYCAM" not in _content(APIClient().get(url))
        assert "metadata" not in link.page(APIClient()).json()["results"][0]


# --- the policy itself --------------------------------------------------------------------------


class TestThePolicy:
    def test_a_principal_it_does_not_know_is_allowed_nothing(self, owned):
        """Where the next kind of caller (an account a thing is shared with) plugs in: until
        the policy knows it, it may do nothing."""

        @dataclass(frozen=True)
        class Member:
            user: object
            role: str = "editor"

        image = Image.objects.get(pk=owned["image"]["id"])
        for action in access.Action:
            assert not access.access_allows(
                principal=Member(image.owner), action=action, target=image
            )
        with pytest.raises(access.AccessRefused):
            access.access_check(
                principal=Member(image.owner), action=access.Action.IMAGE_VIEW, target=image
            )
        assert not access.images_visible(principal=Member(image.owner)).exists()

    def test_a_refused_object_permission_is_a_404_not_a_403(self, owned, other_user, rf):
        """The second layer, if the scope were ever lost: refused like something missing."""
        from rest_framework.request import Request

        request = Request(rf.get("/"))
        request.user, request.auth = other_user, None
        view = type(
            "View",
            (),
            {"action": "retrieve", "access_actions": {"retrieve": access.Action.IMAGE_VIEW}},
        )()
        image = Image.objects.get(pk=owned["image"]["id"])
        from rest_framework.exceptions import NotFound

        with pytest.raises(NotFound) as refused:
            HasAccess().has_object_permission(request, view, image)
        assert refused.value.status_code == HTTPStatus.NOT_FOUND
        assert refused.value.get_full_details() == {"message": "Not found.", "code": "not_found"}

    def test_a_link_s_rendition_grant_opens_only_its_own_file(self, make_link):
        link = make_link(allow_original=True)
        share = Share.objects.select_related("owner").get(pk=link.share["id"])
        image = Image.objects.get(pk=link.image["id"])
        grant = access.ShareRenditionGrant(share=share, image_id=image.pk, rendition="thumbnail")
        allows = access.access_allows
        thumb = access.Rendition(image=image, name="thumbnail")
        assert allows(principal=grant, action=access.Action.RENDITION_VIEW, target=thumb)
        for name in ("processed", "preview", "original"):
            other = access.Rendition(image=image, name=name)
            action = access.rendition_action(name)
            assert not allows(principal=grant, action=action, target=other), name
        for action in (access.Action.IMAGE_UPDATE, access.Action.SHARE_MANAGE):
            assert not allows(principal=grant, action=action, target=image)

    def test_a_visitor_of_an_expired_link_is_refused_like_a_missing_one(self, make_link):
        link = make_link(password=True)
        share = Share.objects.get(pk=link.share["id"])
        share.expires_at = timezone.now() - timedelta(seconds=1)
        visitor = access.ShareVisitor(share=share, unlocked=False)
        with pytest.raises(access.AccessRefused):
            access.access_check(principal=visitor, action=access.Action.SHARE_VIEW, target=share)


# --- nothing but the policy decides what a link allows -------------------------------------------

# Where the two options may be named: the policy, the model and its migrations, the admin, and
# the owner's side that stores them (the serializers' fields, the service that writes them).
_MAY_NAME_THE_OPTIONS = {"images/access.py", "images/models.py", "images/admin.py"}


def _option_reads(path: Path) -> list[str]:
    """Reads of ``.allow_original`` / ``.show_metadata`` (or ``getattr`` of them) in a module:
    every one is a decision about what a link allows. Assignments (the owner's changes) are
    not reads."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("allow_original", "show_metadata")
            and isinstance(node.ctx, ast.Load)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ("allow_original", "show_metadata")
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} getattr {node.args[1].value}")
    return found


def test_only_the_policy_decides_what_a_link_allows():
    reads = []
    for package in ("images", "web", "core", "users", "project"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative in _MAY_NAME_THE_OPTIONS or "/migrations/" in relative:
                continue
            reads += _option_reads(path)
    assert reads == []


def test_the_policy_does_read_them():
    """The check above looks where the reads are (it would not pass vacuously)."""
    assert len(_option_reads(ROOT / "images/access.py")) >= 3


def test_the_owner_s_signed_url_opens_nothing_through_a_link(api_client, owned):
    """A token is made per purpose: an owner's rendition token is not a link's."""
    url = owned["image"]["urls"]["thumbnail"]
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    share_url = reverse(
        "shared-thumbnail",
        kwargs={"token": owned["share"]["token"], "image_id": owned["image"]["id"]},
    )
    _missing(api_client.get(f"{share_url}?sig={sig}"))


def test_the_action_must_be_the_rendition_s_own(owned):
    """Viewing a rendition is not downloading the original, even for the owner's policy."""
    image = Image.objects.select_related("owner").get(pk=owned["image"]["id"])
    owner = access.Owner(user=image.owner)
    original = access.Rendition(image=image, name="original")
    thumbnail = access.Rendition(image=image, name="thumbnail")
    allows = access.access_allows
    assert allows(principal=owner, action=access.Action.ORIGINAL_DOWNLOAD, target=original)
    assert not allows(principal=owner, action=access.Action.RENDITION_VIEW, target=original)
    assert not allows(principal=owner, action=access.Action.ORIGINAL_DOWNLOAD, target=thumbnail)


@pytest.mark.parametrize("route", ["image-detail", "album-detail", "share-detail"])
def test_options_and_unrouted_methods_answer_as_before(auth_client, owned, route):
    """The permission asks the policy for the view's actions only: OPTIONS describes the
    endpoint to its owner, and a method the view has not is a 405, not a refusal."""
    key = {"image-detail": "image", "album-detail": "album", "share-detail": "share"}[route]
    url = reverse(route, kwargs={"pk": owned[key]["id"]})
    assert auth_client.options(url).status_code == OK
    assert auth_client.put(url, {}, format="json").status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- the browsable API: its forms ask the object permission too ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["none", "sepia"])
def test_an_upload_through_the_browsable_api_is_answered_in_html(user, style):
    """DRF's HTML renderer, drawing the page after a create, asks the object permission
    whether to offer a form for the new image (with the view's action still "create"). A
    refusal there was raised from inside the renderer: the upload was saved, and its answer
    was a 404."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.factories import DEFAULT_PASSWORD, image_bytes

    browser = Client()
    assert browser.login(username=user.username, password=DEFAULT_PASSWORD)
    picture = SimpleUploadedFile("h.jpg", image_bytes(size=(64, 48)), content_type="image/jpeg")
    response = browser.post(
        reverse("image-list"),
        {"file": picture, "title": "Harbour", "style": style},
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content[-300:]
    assert response["Content-Type"].startswith("text/html")
    assert Image.objects.filter(owner=user, title="Harbour").count() == 1
