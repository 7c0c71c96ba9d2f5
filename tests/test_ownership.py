"""One door (#11): owned viewsets cannot reach an unscoped queryset, and every kind of caller
(token, session, signed URL) goes through the same scoped ``get_object`` and the access
policy's object permission (``images.permissions.HasAccess``).

The matrix runs every image endpoint as the owner, another account, an anonymous caller, and
an anonymous caller holding a valid, forged, moved, expired or revoked signature.
"""

import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from core.ownership import OwnerScopedViewSet
from images.models import Image
from images.views import ImageViewSet
from tests.factories import DEFAULT_PASSWORD

OK, NO_CONTENT = HTTPStatus.OK, HTTPStatus.NO_CONTENT
UNAUTHORIZED, NOT_FOUND = HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND


class TestTheGuard:
    def test_a_subclass_defining_get_queryset_fails_at_import(self):
        with pytest.raises(ImproperlyConfigured, match="get_queryset"):

            class Leaky(OwnerScopedViewSet):
                model = Image

                def get_queryset(self) -> QuerySet:
                    return Image.objects.all()

    def test_a_subclass_defining_get_object_fails_at_import(self):
        with pytest.raises(ImproperlyConfigured, match="get_object"):

            class Leaky(ImageViewSet):
                def get_object(self) -> Image:
                    return Image.objects.first()

    def test_the_narrowing_hook_cannot_widen_the_scope(self, upload, other_client, rf, user):
        upload()
        other_upload = other_client.post(
            reverse("image-list"), {"file": _png()}, format="multipart"
        ).json()

        class Widening(ImageViewSet):
            def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
                return Image.objects.all()  # tries to escape the caller's scope

        view = Widening()
        view.request = _drf_request(rf, user)
        view.action, view.kwargs, view.format_kwarg = "list", {}, None

        ids = {str(pk) for pk in view.get_queryset().values_list("pk", flat=True)}
        assert other_upload["id"] not in ids and len(ids) == 1


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_bytes

    return SimpleUploadedFile("a.png", image_bytes("PNG"))


def _drf_request(rf, user):
    from rest_framework.request import Request

    request = Request(rf.get("/"))
    request.user, request.auth = user, None
    return request


def _sig(image: dict, rendition: str) -> str:
    return parse_qs(urlsplit(image["urls"][rendition]).query)["sig"][0]


def _call(client: APIClient, endpoint: str, image_id: str, sig: str | None):
    query = {"sig": sig} if sig is not None else {}
    if endpoint == "list":
        return client.get(reverse("image-list"), query)
    if endpoint == "retrieve":
        return client.get(reverse("image-detail", kwargs={"pk": image_id}), query)
    if endpoint == "update":
        path = reverse("image-detail", kwargs={"pk": image_id})
        return client.patch(path + (f"?sig={sig}" if sig else ""), {"title": "x"})
    if endpoint == "delete":
        path = reverse("image-detail", kwargs={"pk": image_id})
        return client.delete(path + (f"?sig={sig}" if sig else ""))
    return client.get(reverse(f"image-{endpoint}", kwargs={"pk": image_id}), query)


ENDPOINTS = ["list", "retrieve", "update", "delete"]
ENDPOINTS += ["original", "processed", "preview", "thumbnail"]
SIGNED = {"thumbnail": NOT_FOUND, "processed": NOT_FOUND, "preview": NOT_FOUND}
# What each kind of caller gets from each endpoint; list for an other account is its own, empty.
MATRIX = {
    "owner": dict.fromkeys(ENDPOINTS, OK) | {"delete": NO_CONTENT},
    "other": dict.fromkeys(ENDPOINTS, NOT_FOUND) | {"list": OK},
    "anonymous": dict.fromkeys(ENDPOINTS, UNAUTHORIZED),
    # A signature opens its own rendition only; elsewhere it is no credential at all.
    "valid_thumbnail_sig": dict.fromkeys(ENDPOINTS, UNAUTHORIZED) | SIGNED | {"thumbnail": OK},
    "forged_sig": dict.fromkeys(ENDPOINTS, UNAUTHORIZED) | SIGNED,
    "expired_sig": dict.fromkeys(ENDPOINTS, UNAUTHORIZED) | SIGNED,
    "revoked_sig": dict.fromkeys(ENDPOINTS, UNAUTHORIZED) | SIGNED,
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("caller", list(MATRIX))
def test_privacy_matrix(caller, endpoint, auth_client, other_client, upload, user):
    image = upload()
    anonymous = APIClient()
    client, sig = anonymous, None
    if caller == "owner":
        client = auth_client
    elif caller == "other":
        client = other_client
    elif caller == "valid_thumbnail_sig":
        sig = _sig(image, "thumbnail")
    elif caller == "forged_sig":
        sig = _sig(image, "thumbnail")[:-4] + "0000"
    elif caller == "expired_sig":
        with override_settings(ATELIER={**_atelier(), "SIGNED_URL_TTL": -7200}):
            image = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()
        sig = _sig(image, "thumbnail")
        assert int(sig.split(".")[1]) < time.time()
    elif caller == "revoked_sig":
        sig = _sig(image, "thumbnail")
        user.set_password(DEFAULT_PASSWORD + "-new")
        user.save(update_fields=["password"])

    response = _call(client, endpoint, image["id"], sig)

    assert response.status_code == MATRIX[caller][endpoint], response.content[:200]
    if response.status_code >= 400:
        assert response.json()["code"]
    if caller != "owner" or endpoint != "delete":
        assert Image.objects.filter(pk=image["id"]).exists()
    if caller == "other" and endpoint == "list":
        assert response.json()["results"] == []


def _atelier() -> dict:
    from django.conf import settings

    return settings.ATELIER


class TestFiltersOnlyOnTheList:
    """#11.3: list filters, search and ordering do not touch detail and file actions."""

    def test_detail_ignores_list_parameters(self, auth_client, upload):
        image = upload()
        url = reverse("image-detail", kwargs={"pk": image["id"]})
        for query in ({"ordering": "bogus"}, {"status": "failed"}, {"search": "nothing"}):
            assert auth_client.get(url, query).status_code == OK, query

    def test_renditions_ignore_list_parameters(self, auth_client, upload):
        image = upload()
        url = reverse("image-thumbnail", kwargs={"pk": image["id"]})
        for query in ({"status": "failed"}, {"style": "blur"}, {"ordering": "bogus"}):
            assert auth_client.get(url, query).status_code == OK, query

    def test_the_list_still_applies_them(self, auth_client, upload):
        upload()
        assert auth_client.get(reverse("image-list"), {"ordering": "bogus"}).status_code == (
            HTTPStatus.BAD_REQUEST
        )
        assert auth_client.get(reverse("image-list"), {"status": "failed"}).json()["results"] == []
