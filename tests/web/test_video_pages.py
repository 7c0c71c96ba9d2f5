"""A video's picture page, the owner's and a share's: it plays, from its signed URL, under the
strict policy."""

import html
import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from images.models import Image
from tests.videos import clip
from tests.web.test_pages import assert_strict_page, csp_of
from web.security import content_security_policy

pytestmark = pytest.mark.django_db


def _video_tags(response) -> list[dict[str, str]]:
    page = response.content.decode()
    tags = []
    for tag in re.findall(r"<video\b[^>]*>", page):
        attributes = dict(re.findall(r'([a-z-]+)(?:="([^"]*)")?', tag[len("<video") : -1]))
        tags.append({name: html.unescape(value) for name, value in attributes.items()})
    return tags


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


class TestVideoPage:
    def test_the_owners_page_plays_the_video_with_its_poster(self, user, upload):
        body = upload(clip("h264_aac.mp4"), name="clip.mp4")
        client = Client()
        client.force_login(user)
        response = client.get(reverse("image", args=[body["id"]]))
        assert response.status_code == HTTPStatus.OK
        assert_strict_page(response)
        (player,) = _video_tags(response)
        assert {"controls", "playsinline"} <= set(player)
        assert player["preload"] == "metadata"
        assert urlsplit(player["poster"]).path == reverse(
            "image-preview", kwargs={"pk": body["id"]}
        )
        assert urlsplit(player["src"]).path == reverse("image-video", kwargs={"pk": body["id"]})
        # The signed URL plays without the session.
        assert Client().get(_path(player["src"])).status_code == HTTPStatus.OK

    def test_a_photo_page_has_no_player(self, user, upload):
        body = upload()
        client = Client()
        client.force_login(user)
        assert _video_tags(client.get(reverse("image", args=[body["id"]]))) == []

    def test_a_motion_part_gets_a_play_motion_control(self, user, upload):
        body = upload()
        image = Image.objects.get(pk=body["id"])
        # A motion part made by hand: the Live Photo work stores the real one.
        image.motion_key = image.thumbnail_key
        image.save(update_fields=["motion_key"])
        client = Client()
        client.force_login(user)
        response = client.get(reverse("image", args=[body["id"]]))
        assert "Play motion" in response.content.decode()
        (motion,) = _video_tags(response)
        assert urlsplit(motion["src"]).path == reverse("image-motion", kwargs={"pk": body["id"]})

    def test_a_shares_page_plays_the_video(self, auth_client, upload):
        body = upload(clip("vp9_opus.webm"), name="clip.webm")
        share = auth_client.post(
            reverse("share-list"), {"image_ids": [body["id"]]}, format="json"
        ).json()
        visitor = Client()
        response = visitor.get(
            reverse("share-image", kwargs={"token": share["token"], "image_id": body["id"]})
        )
        assert response.status_code == HTTPStatus.OK
        assert_strict_page(response)
        (player,) = _video_tags(response)
        assert urlsplit(player["src"]).path == reverse(
            "shared-video", kwargs={"token": share["token"], "image_id": body["id"]}
        )
        played = visitor.get(_path(player["src"]))
        assert played.status_code == HTTPStatus.OK and played["Content-Type"] == "video/mp4"


class TestMediaPolicy:
    def test_videos_come_from_this_server_by_default(self):
        policy = dict(part.strip().split(" ", 1) for part in content_security_policy().split(";"))
        assert policy["default-src"] == "'self'" and "media-src" not in policy

    def test_videos_may_come_from_where_pictures_do(self, settings):
        settings.ATELIER_WEB_CSP = [
            ("default-src", ["'self'"]),
            ("img-src", ["'self'", "https://s3.example.com"]),
        ]
        policy = dict(part.strip().split(" ", 1) for part in content_security_policy().split(";"))
        assert policy["media-src"] == "'self' https://s3.example.com"

    def test_csp_of_helper_reads_it(self, client):
        response = client.get(reverse("login"))
        assert "media-src" not in csp_of(response)
