"""The web app's search: the box on every page (no inline script: the strict CSP), the results
page as the gallery's tiles, only the caller's own pictures, and its cursor's next page.

Pictures are rows made directly: nothing here is about uploads or renders.
"""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.images.test_search import _picture
from tests.web.test_pages import assert_strict_page, logged_in, parse

pytestmark = pytest.mark.django_db

START = datetime(2024, 7, 1, 12, tzinfo=UTC)


@pytest.fixture
def owner(user):
    return logged_in(user)


class TestSearchBox:
    @pytest.mark.parametrize("name", ["home", "albums", "trash", "account", "upload"])
    def test_every_private_page_has_the_box_and_its_script(self, owner, name):
        response = owner.get(reverse(name))
        assert response.status_code == HTTPStatus.OK
        body = response.content.decode()
        assert f'action="{reverse("search")}"' in body
        assert f'data-suggest="{reverse("search-suggestions")}"' in body
        assert 'list="search-list"' in body
        assert "web/search.js" in body
        assert_strict_page(response)

    def test_the_login_page_has_no_box(self, client):
        body = client.get(reverse("login")).content.decode()
        assert "search-list" not in body
        assert "web/search.js" not in body


class TestSearchPage:
    def test_shows_the_matching_pictures_as_tiles(self, owner, user):
        beach = _picture(user, title="Plage d'été", taken_at=START)
        _picture(user, title="Mountain", taken_at=START)
        response = owner.get(reverse("search"), {"q": "plage ete"})
        assert response.status_code == HTTPStatus.OK
        assert_strict_page(response)
        body = response.content.decode()
        assert f'data-id="{beach.pk}"' in body
        assert body.count('<li class="tile') == 1
        assert "Pictures for “plage ete”" in body

    def test_never_shows_another_accounts_pictures(self, owner, other_user):
        _picture(other_user, title="Plage")
        body = owner.get(reverse("search"), {"q": "plage"}).content.decode()
        assert '<li class="tile' not in body
        assert "No pictures match this search." in body

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client):
        response = client.get(reverse("search"), {"q": "plage"})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("login"))

    def test_a_search_it_cannot_answer_is_a_400_that_says_so(self, owner):
        response = owner.get(reverse("search"), {"q": " ".join(["w"] * 11)})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert parse(response).inline == []
        assert b'role="alert"' in response.content

    def test_filters_and_the_next_page_keep_the_search(self, owner, user):
        for day in range(33):
            _picture(user, title="Walk", taken_at=START + timedelta(days=day))
        _picture(user, title="Walk", taken_at=START, is_favorite=True, kind="video")
        first = owner.get(reverse("search"), {"q": "walk"}).content.decode()
        assert first.count('<li class="tile') == 30
        more = parse_more(first)
        assert more.startswith(reverse("search")) and "q=walk" in more
        second = owner.get(more.replace("&amp;", "&")).content.decode()
        assert second.count('<li class="tile') == 4
        videos = owner.get(reverse("search"), {"q": "walk", "kind": "video"}).content.decode()
        assert videos.count('<li class="tile') == 1
        assert 'name="kind"' in videos and 'value="video" selected' in videos


def parse_more(body: str) -> str:
    start = body.index('<p class="more"><a class="button" href="') + len(
        '<p class="more"><a class="button" href="'
    )
    return body[start : body.index('"', start)]
