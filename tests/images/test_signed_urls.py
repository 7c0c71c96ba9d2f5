"""Signed rendition URLs: bound to the owner's credentials, accepted in one form only (#9.21)."""

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

RENDITIONS = ["processed", "thumbnail", "original"]


def signed_path(image: dict, rendition: str) -> tuple[str, str]:
    url = urlsplit(image["urls"][rendition])
    return url.path, parse_qs(url.query)["sig"][0]


def fetch(client, path: str, sig: str):
    return client.get(path, {"sig": sig})


@pytest.mark.parametrize("rendition", ["processed", "thumbnail"])
class TestCredentialBinding:
    def test_a_password_change_revokes_urls_handed_out_before(
        self, api_client, auth_client, upload, rendition
    ):
        image = upload()
        path, sig = signed_path(image, rendition)
        assert fetch(api_client, path, sig).status_code == HTTPStatus.OK

        changed = auth_client.post(
            reverse("users-me-password"),
            {"old_password": DEFAULT_PASSWORD, "new_password": "a-fresh-long-phrase-31"},
        )
        assert changed.status_code == HTTPStatus.OK

        assert fetch(api_client, path, sig).status_code == HTTPStatus.NOT_FOUND

    def test_urls_listed_after_the_change_work(self, api_client, auth_client, upload, rendition):
        image = upload()
        tokens = auth_client.post(
            reverse("users-me-password"),
            {"old_password": DEFAULT_PASSWORD, "new_password": "a-fresh-long-phrase-31"},
        ).json()
        auth_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

        fresh = auth_client.get(reverse("image-detail", kwargs={"pk": image["id"]})).json()

        path, sig = signed_path(fresh, rendition)
        assert fetch(api_client, path, sig).status_code == HTTPStatus.OK

    def test_a_deactivated_owner_s_urls_stop_working(self, api_client, upload, user, rendition):
        image = upload()
        path, sig = signed_path(image, rendition)
        user.is_active = False
        user.save(update_fields=["is_active"])

        assert fetch(api_client, path, sig).status_code == HTTPStatus.NOT_FOUND


def _respell_owner(sig: str, spelling) -> str:
    owner, expires, mac = sig.split(".")
    return f"{spelling(owner)}.{expires}.{mac}"


def _respell_expiry(sig: str, spelling) -> str:
    owner, expires, mac = sig.split(".")
    return f"{owner}.{spelling(expires)}.{mac}"


def _hyphenated(hex_: str) -> str:
    return re.sub(r"^(.{8})(.{4})(.{4})(.{4})(.{12})$", r"\1-\2-\3-\4-\5", hex_)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "respell",
    [
        lambda sig: _respell_owner(sig, str.upper),
        lambda sig: _respell_owner(sig, _hyphenated),
        lambda sig: _respell_owner(sig, lambda h: "{" + h + "}"),
        lambda sig: _respell_owner(sig, lambda h: "urn:uuid:" + h),
        lambda sig: _respell_expiry(sig, lambda e: "+" + e),
        lambda sig: _respell_expiry(sig, lambda e: " " + e + " "),
        lambda sig: _respell_expiry(sig, lambda e: e[:2] + "_" + e[2:]),
        lambda sig: _respell_expiry(sig, lambda e: e.translate(FULL_WIDTH)),
        lambda sig: _respell_expiry(sig, lambda e: "0" + e),
        lambda sig: sig.upper(),
    ],
    ids=[
        "upper-owner",
        "hyphens",
        "braces",
        "urn",
        "plus",
        "spaces",
        "underscore",
        "full-width",
        "leading-zero",
        "upper-all",
    ],
)
def test_only_the_canonical_token_form_is_accepted(api_client, upload, respell):
    image = upload()
    path, sig = signed_path(image, "thumbnail")
    assert fetch(api_client, path, sig).status_code == HTTPStatus.OK

    response = fetch(api_client, path, respell(sig))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"
