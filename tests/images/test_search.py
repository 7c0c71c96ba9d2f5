"""Search (``search/``): exactly the caller's live pictures a reference filter in Python finds,
ranked and paged on a stable cursor, on SQLite and PostgreSQL alike; never another account's,
the trash or the locked folder; no query a person types makes it fail.

Pictures are rows made directly (no upload: nothing here is about files). The reference
reads the raw fields and folds them with the definition (``images.search.text``), so it
checks the index, the triggers, the SQL and the ranking, not the folding itself (that has
tests of its own, ``test_search_text.py``).
"""

import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images import albums as album_services
from images.models import Album, AlbumImage, Image
from images.search.text import fold_words, query_parse
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "search-list"

# A small vocabulary, accents and cases mixed, so random queries hit often.
WORDS = ["Café", "cafe", "Paris", "Zürich", "plage", "Plagé", "Émile", "sunset", "sun", "Straße"]
FILE_NAMES = ["IMG_0042.JPG", "DSC0001.nef", "plage-été.heic", ""]
CAMERAS = [
    None,
    {"camera_make": "Canon", "camera_model": "Canon EOS R5", "lens": "RF24-105mm F4"},
    {"camera_make": "Apple", "camera_model": "iPhone 15 Pro", "lens": None},
    {"camera_make": "NIKON", "camera_model": "Z 6", "lens": "Nikkor Sun 50"},
]
PLACES = [
    ("", "", "", ""),
    ("Paris", "Île-de-France", "France", "FR"),
    ("Zürich", "Zurich", "Switzerland", "CH"),
    ("São Paulo", "São Paulo", "Brazil", "BR"),
]
START = datetime(2021, 1, 1, tzinfo=UTC)


def _picture(owner, **fields):
    defaults = {
        "format": "JPEG",
        "width": 1,
        "height": 1,
        "size": 1,
        "status": "ready",
        "thumbnail_key": f"{uuid.uuid4().hex}/thumbnail.jpg",
    }
    return Image.objects.create(owner=owner, **{**defaults, **fields})


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _walk(client, params, page_size=100) -> list[str]:
    """Every id of the search's pages, in order."""
    ids: list[str] = []
    url = reverse(SEARCH)
    query = {**params, "page_size": page_size}
    while url:
        response = client.get(url, query) if query else client.get(url)
        assert response.status_code == HTTPStatus.OK, response.json()
        body = response.json()
        ids += [image["id"] for image in body["results"]]
        url, query = body["next"], None
    return ids


# --- the reference ---------------------------------------------------------------------------


def _reference(owner, text: str, filters: dict) -> list[str]:
    """The ids ``search/`` must answer, in order, computed from the definition."""
    query = query_parse(text)
    album_words = {album.pk: fold_words(album.title) for album in Album.objects.filter(owner=owner)}
    memberships: dict = {}
    for pair in AlbumImage.objects.filter(album__owner=owner):
        memberships.setdefault(pair.image_id, []).append(pair.album_id)
    found = []
    for image in Image.objects.filter(owner=owner):
        if image.trashed_at is not None or image.locked_at is not None:
            continue
        if query.empty_range:
            continue
        if query.start is not None and not query.start <= image.timeline_at:
            continue
        if query.end is not None and not image.timeline_at < query.end:
            continue
        metadata = image.metadata or {}
        title = fold_words(image.title)
        place = fold_words(f"{image.place_city} {image.place_region} {image.place_country}")
        camera = fold_words(
            f"{metadata.get('camera_make') or ''} {metadata.get('camera_model') or ''}"
        )
        other = fold_words(
            f"{image.description} {image.original_filename} {metadata.get('lens') or ''}"
        )
        albums = [album_words[a] for a in memberships.get(image.pk, [])]
        everything = title + place + camera + other
        primary = False
        matched = True
        for i in range(len(query.terms)):
            in_albums = any(query.term_matches(i, words) for words in albums)
            if query.term_matches(i, title + place) or in_albums:
                primary = True
            if not (query.term_matches(i, everything) or in_albums):
                matched = False
        if not matched or not _filters_hold(image, filters, camera, place, memberships):
            continue
        tier = 0 if primary or not query.terms else 1
        found.append((tier, image.timeline_at, image.pk))
    found.sort(key=lambda key: (key[0], -key[1].timestamp(), -key[2].int))
    return [str(pk) for _tier, _at, pk in found]


def _filters_hold(image, filters, camera, place, memberships) -> bool:
    if "kind" in filters and image.kind != filters["kind"]:
        return False
    if "is_favorite" in filters and image.is_favorite != (filters["is_favorite"] == "true"):
        return False
    if "has_location" in filters and (image.latitude is not None) != (
        filters["has_location"] == "true"
    ):
        return False
    if "album" in filters and uuid.UUID(filters["album"]) not in memberships.get(image.pk, []):
        return False
    if "camera" in filters and not set(fold_words(filters["camera"])) <= set(camera):
        return False
    if "place" in filters:
        value = filters["place"]
        by_code = len(value) == 2 and value.upper() == image.place_country_code
        if not (by_code or set(fold_words(value)) <= set(place)):
            return False
    if "after" in filters and image.timeline_at < datetime.fromisoformat(filters["after"]).replace(
        tzinfo=UTC
    ):
        return False
    return not (
        "before" in filters
        and image.timeline_at >= datetime.fromisoformat(filters["before"]).replace(tzinfo=UTC)
    )


# --- a generated library -----------------------------------------------------------------------

_text = st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join)
_title = st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join)
_picture_fields = st.fixed_dictionaries(
    {
        "title": _text,
        "description": _text,
        "original_filename": st.sampled_from(FILE_NAMES),
        "camera": st.sampled_from(CAMERAS),
        "place": st.sampled_from(PLACES),
        "days": st.integers(min_value=0, max_value=4 * 365),
        "kind": st.sampled_from(["photo", "video"]),
        "is_favorite": st.booleans(),
        "located": st.booleans(),
        "state": st.sampled_from(["live", "live", "live", "trashed", "locked"]),
        "albums": st.sets(st.integers(min_value=0, max_value=2), max_size=2),
    }
)


def _make(owner, fields, albums):
    city, region, country, code = fields["place"]
    now = timezone.now()
    image = _picture(
        owner,
        title=fields["title"],
        description=fields["description"],
        original_filename=fields["original_filename"],
        metadata=fields["camera"] or {},
        place_city=city,
        place_region=region,
        place_country=country,
        place_country_code=code,
        taken_at=START + timedelta(days=fields["days"], hours=fields["days"] % 24),
        kind=fields["kind"],
        is_favorite=fields["is_favorite"],
        latitude=48.85 if fields["located"] else None,
        longitude=2.35 if fields["located"] else None,
        trashed_at=now if fields["state"] == "trashed" else None,
        locked_at=now if fields["state"] == "locked" else None,
    )
    for index in fields["albums"]:
        AlbumImage.objects.create(album=albums[index], image=image)
    return image


_date_phrase = st.just("") | st.sampled_from(
    ["2021", "2022", "July 2022", "jul 2021", "summer 2023", "christmas 2022", "2022-07"]
)
_query_words = st.lists(
    st.sampled_from([*WORDS, "pla", "caf", "zur", "canon", "eos", "img", "jpg", "france", "ph"]),
    max_size=2,
)
_filters = st.just({}) | st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["photo", "video"]),
        "is_favorite": st.sampled_from(["true", "false"]),
        "has_location": st.sampled_from(["true", "false"]),
        "camera": st.sampled_from(["Canon EOS R5", "iphone", "nikon z"]),
        "place": st.sampled_from(["Paris", "fr", "CH", "são paulo", "france"]),
        "after": st.sampled_from(["2022-01-01", "2023-06-15"]),
        "album": st.just("first"),
        "before": st.sampled_from(["2023-01-01", "2024-06-15"]),
    },
)


class TestSearchEqualsTheReference:
    @given(
        mine=st.lists(_picture_fields, min_size=1, max_size=12),
        theirs=st.lists(_picture_fields, max_size=4),
        album_titles=st.lists(_title, min_size=3, max_size=3),
        words=_query_words,
        phrase=_date_phrase,
        trailing_space=st.booleans(),
        filters=_filters,
        page_size=st.sampled_from([2, 5, 100]),
    )
    def test_search_answers_what_the_reference_finds(
        self, mine, theirs, album_titles, words, phrase, trailing_space, filters, page_size
    ):
        owner, stranger = UserFactory(), UserFactory()
        albums = [Album.objects.create(owner=owner, title=title) for title in album_titles]
        foreign = [Album.objects.create(owner=stranger, title=title) for title in album_titles]
        for fields in mine:
            _make(owner, fields, albums)
        for fields in theirs:
            _make(stranger, fields, foreign)
        text = " ".join([*words, phrase]).strip() + (" " if trailing_space else "")
        params = {"q": text, **filters}
        if "album" in params:
            params["album"] = str(albums[0].pk)
        if "after" in params and "before" in params and params["after"] >= params["before"]:
            del params["before"]
        got = _walk(_client(owner), params, page_size=page_size)
        expected = _reference(owner, text, params)
        event("found some" if expected else "found none")
        assert got == expected


# --- keeping up with changes -----------------------------------------------------------------


class TestTheIndexFollowsChanges:
    def test_a_new_title_is_found_and_the_old_one_no_longer(self):
        owner = UserFactory()
        image = _picture(owner, title="Lighthouse")
        client = _client(owner)
        response = client.patch(
            reverse("image-detail", kwargs={"pk": image.pk}),
            {"title": "Harbour", "description": "Fog over the pier"},
            format="json",
        )
        assert response.status_code == HTTPStatus.OK
        assert response.json()["description"] == "Fog over the pier"
        assert _walk(client, {"q": "lighthouse"}) == []
        assert _walk(client, {"q": "harbour"}) == [str(image.pk)]
        assert _walk(client, {"q": "pier"}) == [str(image.pk)]

    def test_a_description_is_bounded(self):
        owner = UserFactory()
        image = _picture(owner)
        response = _client(owner).patch(
            reverse("image-detail", kwargs={"pk": image.pk}),
            {"description": "x" * 2001},
            format="json",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "description" in response.json()

    def test_a_partial_save_of_a_source_refolds_its_column(self):
        owner = UserFactory()
        image = _picture(owner)
        image.metadata = {"camera_make": "Fujifilm", "camera_model": "X100V"}
        image.place_city = "Kyōto"
        image.save(update_fields=["metadata", "place_city"])
        client = _client(owner)
        assert _walk(client, {"q": "kyoto x100"}) == [str(image.pk)]

    def test_album_renames_and_removals_are_seen_at_once(self):
        owner = UserFactory()
        image = _picture(owner)
        album = album_services.album_create(owner=owner, title="Honeymoon")
        album_services.album_images_add(owner=owner, album=album, image_ids=[image.pk])
        client = _client(owner)
        assert _walk(client, {"q": "honeymoon"}) == [str(image.pk)]
        album_services.album_update(owner=owner, album=album, title="Wedding")
        assert _walk(client, {"q": "honeymoon"}) == []
        assert _walk(client, {"q": "wedding"}) == [str(image.pk)]
        album_services.album_images_remove(owner=owner, album=album, image_ids=[image.pk])
        assert _walk(client, {"q": "wedding"}) == []

    def test_a_deleted_picture_leaves_the_index(self):
        owner = UserFactory()
        image = _picture(owner, title="Ephemeral")
        image.delete()
        _picture(owner, title="Ephemeral too")
        assert len(_walk(_client(owner), {"q": "ephemeral"})) == 1


# --- privacy ---------------------------------------------------------------------------------


class TestPrivacy:
    @pytest.mark.parametrize("name", [SEARCH, "search-suggestions"])
    def test_anonymous_is_a_401_with_a_json_body(self, api_client, name):
        response = api_client.get(reverse(name), {"q": "a"})
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["code"] == "not_authenticated"

    def test_another_account_finds_nothing_of_mine(self):
        owner, stranger = UserFactory(), UserFactory()
        _picture(owner, title="Secret beach", place_city="Paris", place_country="France")
        Album.objects.create(owner=owner, title="Secret album")
        client = _client(stranger)
        for q in ("secret", "paris", "", "beach"):
            assert _walk(client, {"q": q}) == []
        suggested = client.get(reverse("search-suggestions"), {"q": "se"}).json()["results"]
        assert suggested == []
        assert client.get(reverse("search-suggestions"), {"q": "par"}).json()["results"] == []

    def test_another_accounts_album_is_a_404_like_a_missing_one(self):
        owner, stranger = UserFactory(), UserFactory()
        theirs = Album.objects.create(owner=stranger, title="Theirs")
        client = _client(owner)
        foreign = client.get(reverse(SEARCH), {"album": str(theirs.pk)})
        missing = client.get(reverse(SEARCH), {"album": str(uuid.uuid4())})
        assert foreign.status_code == missing.status_code == HTTPStatus.NOT_FOUND
        assert foreign.json() == missing.json()

    def test_the_trash_and_the_locked_folder_are_never_found(self):
        owner = UserFactory()
        now = timezone.now()
        _picture(owner, title="Hidden", trashed_at=now)
        _picture(owner, title="Hidden", locked_at=now)
        kept = _picture(owner, title="Hidden")
        client = _client(owner)
        assert _walk(client, {"q": "hidden"}) == [str(kept.pk)]
        assert _walk(client, {}) == [str(kept.pk)]


# --- bounds and hostile input ----------------------------------------------------------------


class TestBounds:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"q": "a" * 201}, "q"),
            ({"q": " ".join(["w"] * 11)}, "q"),
            ({"kind": "gif"}, "kind"),
            ({"is_favorite": "yes"}, "is_favorite"),
            ({"after": "2024-13-01"}, "after"),
            ({"after": "2024-02-01", "before": "2024-01-01"}, "before"),
            ({"camera": "!!!"}, "camera"),
            ({"place": "x" * 101}, "place"),
            ({"album": "not-a-uuid"}, "album"),
        ],
    )
    def test_a_bad_parameter_is_a_400_naming_it(self, params, field):
        response = _client(UserFactory()).get(reverse(SEARCH), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field in response.json()

    def test_a_bad_suggestion_query_is_a_400(self):
        client = _client(UserFactory())
        assert client.get(reverse("search-suggestions")).status_code == HTTPStatus.BAD_REQUEST
        response = client.get(reverse("search-suggestions"), {"q": "a" * 201})
        assert response.status_code == HTTPStatus.BAD_REQUEST

    def test_a_forged_cursor_is_a_404_naming_the_cursor(self):
        response = _client(UserFactory()).get(reverse(SEARCH), {"cursor": "cD1nYXJiYWdl"})
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "invalid_cursor"

    @pytest.mark.parametrize(
        "q",
        [
            '"',
            'a" OR "b',
            "*",
            "a*",
            "NEAR(a b)",
            "- a",
            "title:a",
            "{title} : a",
            "^a",
            "(a",
            "a)",
            "AND",
            "a OR",
            "NOT a",
            "'",
            "a & b | !c",
            "\\",
            "x" * 200,
        ],
    )
    def test_query_syntax_is_only_words(self, q):
        owner = UserFactory()
        _picture(owner, title="a b c title near and or not x")
        response = _client(owner).get(reverse(SEARCH), {"q": q})
        assert response.status_code == HTTPStatus.OK

    def test_a_nul_byte_is_a_400(self):
        response = _client(UserFactory()).get(reverse(SEARCH), {"q": "a\x00b"})
        assert response.status_code == HTTPStatus.BAD_REQUEST

    @given(q=st.text(max_size=60), name=st.sampled_from([SEARCH, "search-suggestions"]))
    def test_no_query_makes_it_fail(self, q, name):
        owner = UserFactory()
        _picture(owner, title="Plage à Nice", description="NEAR the (sea)")
        response = _client(owner).get(reverse(name), {"q": q})
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)


# --- cost and the cursor ---------------------------------------------------------------------


class TestCost:
    def test_a_page_of_one_and_a_page_of_fifty_cost_the_same_queries(self):
        owner = UserFactory()
        album = Album.objects.create(owner=owner, title="Trip")
        client = _client(owner)

        def queries(params) -> int:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse(SEARCH), {**params, "page_size": 100})
            assert response.status_code == HTTPStatus.OK
            return len(captured)

        params = {"q": "trip sea", "album": str(album.pk), "place": "fr"}
        image = _picture(owner, title="Sea", place_country_code="FR")
        AlbumImage.objects.create(album=album, image=image)
        one = queries(params)
        for _ in range(49):
            image = _picture(owner, title="Sea", place_country_code="FR")
            AlbumImage.objects.create(album=album, image=image)
        assert len(_walk(client, params)) == 50
        assert queries(params) == one

    def test_suggestions_cost_the_same_queries_however_many_match(self):
        owner = UserFactory()
        client = _client(owner)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("search-suggestions"), {"q": "pa"})
            assert response.status_code == HTTPStatus.OK
            return len(captured)

        _picture(owner, title="Party", place_city="Paris", place_country="France")
        one = queries()
        for i in range(30):
            _picture(owner, title=f"Party {i}", place_city=f"Pa{i}", place_country="France")
            Album.objects.create(owner=owner, title=f"Pals {i}")
        assert queries() == one


class TestCursor:
    def test_walking_every_page_with_inserts_between_gives_each_row_once(self):
        owner = UserFactory()
        made = []
        for day in range(23):
            made.append(_picture(owner, title="Walk", taken_at=START + timedelta(days=day % 7)))
            made.append(_picture(owner, description="walk", taken_at=START + timedelta(days=day)))
        client = _client(owner)
        expected = _walk(client, {"q": "walk"})
        assert sorted(expected) == sorted(str(i.pk) for i in made)
        seen: list[str] = []
        url, query = reverse(SEARCH), {"q": "walk", "page_size": 4}
        added = []
        while url:
            body = (client.get(url, query) if query else client.get(url)).json()
            seen += [image["id"] for image in body["results"]]
            url, query = body["next"], None
            # Pictures arriving meanwhile, on both tiers, newer and older than the page.
            added.append(_picture(owner, title="Walk", taken_at=START + timedelta(days=3)))
            added.append(_picture(owner, description="walk", taken_at=START))
        assert len(seen) == len(set(seen))
        assert [i for i in seen if i in expected] == expected

    def test_the_previous_link_walks_back_over_the_same_pages(self):
        owner = UserFactory()
        for day in range(9):
            _picture(
                owner,
                title="Back" if day % 2 else "",
                description="back",
                taken_at=START + timedelta(days=day),
            )
        client = _client(owner)
        first = client.get(reverse(SEARCH), {"q": "back", "page_size": 3}).json()
        second = client.get(first["next"]).json()
        third = client.get(second["next"]).json()
        assert third["next"] is None
        again = client.get(third["previous"]).json()
        assert again["results"] == second["results"]


class TestRanking:
    def test_title_place_and_album_hits_come_before_the_others(self):
        owner = UserFactory()
        old_title = _picture(owner, title="Lisbon", taken_at=START)
        new_description = _picture(owner, description="Lisbon", taken_at=START + timedelta(days=9))
        place = _picture(owner, place_city="Lisbon", taken_at=START + timedelta(days=1))
        in_album = _picture(owner, taken_at=START + timedelta(days=2))
        album = Album.objects.create(owner=owner, title="Lisbon 2021")
        AlbumImage.objects.create(album=album, image=in_album)
        got = _walk(_client(owner), {"q": "lisbon"})
        assert got == [str(i.pk) for i in (in_album, place, old_title, new_description)]


class TestSuggestions:
    def test_places_cameras_albums_and_titles_are_offered_with_their_search(self):
        owner = UserFactory()
        _picture(
            owner,
            title="Parade",
            place_city="Paris",
            place_country="France",
            metadata={"camera_make": "Panasonic", "camera_model": "DC-GH5"},
        )
        album = Album.objects.create(owner=owner, title="Paris weekend")
        response = _client(owner).get(reverse("search-suggestions"), {"q": "pa"})
        got = {(s["kind"], s["label"]): s["params"] for s in response.json()["results"]}
        assert got == {
            ("place", "Paris, France"): {"place": "Paris"},
            ("camera", "Panasonic DC-GH5"): {"camera": "Panasonic DC-GH5"},
            ("album", "Paris weekend"): {"album": str(album.pk)},
            ("title", "Parade"): {"q": "Parade"},
        }

    def test_a_suggestion_finds_what_it_names(self):
        owner = UserFactory()
        image = _picture(
            owner,
            place_city="Zürich",
            place_country="Switzerland",
            metadata={"camera_make": "Canon", "camera_model": "Canon EOS R5"},
        )
        client = _client(owner)
        for s in client.get(reverse("search-suggestions"), {"q": "zur"}).json()["results"]:
            assert _walk(client, s["params"]) == [str(image.pk)]
        for s in client.get(reverse("search-suggestions"), {"q": "eos"}).json()["results"]:
            assert _walk(client, s["params"]) == [str(image.pk)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
class TestPostgresIndex:
    def test_a_word_search_reads_the_gin_index(self):
        owner = UserFactory()
        Image.objects.bulk_create(
            Image(owner=owner, format="JPEG", width=1, height=1, size=1, title=f"Filler {i}")
            for i in range(400)
        )
        _picture(owner, title="Picture")
        from images.search.selectors import SearchFilters, images_search
        from images.selectors import images_live

        found = images_search(
            images=images_live(Image.objects.filter(owner=owner)),
            query=query_parse("picture"),
            filters=SearchFilters(),
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE images_image")
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = found.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "image_live_search_idx" in plan, plan


class TestMigration:
    def test_the_counter_and_search_triggers_are_all_installed(self):
        """Adding the search columns remakes the table on SQLite, which drops its triggers:
        the migration installs the counters' again (``0012``)."""
        owner = UserFactory()
        _picture(owner, title="Counted", stored_bytes=7, taken_at=START)
        from images.counters import library_usage

        assert library_usage(owner_id=owner.pk)["bytes"] == 7
        assert _walk(_client(owner), {"q": "counted"})
