"""``places/``, ``places/clusters/`` and the gallery's place filters: counts, covers, clusters,
validation, the privacy matrix (anonymous, another account, the trash, the locked folder) and
constant query counts."""

import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import Image, Partnership
from tests.conftest import field_errors
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PARIS = {"city": "Paris", "region": "Île-de-France", "country": "France", "code": "FR"}
LYON = {"city": "Lyon", "region": "Auvergne-Rhône-Alpes", "country": "France", "code": "FR"}
SYDNEY = {"city": "Sydney", "region": "New South Wales", "country": "Australia", "code": "AU"}
POSITIONS = {"Paris": (48.8566, 2.3522), "Lyon": (45.764, 4.8357), "Sydney": (-33.8688, 151.2093)}


def picture(owner, place=None, *, position=None, taken=None, **fields) -> Image:
    """A rendered row of ``owner``'s, taken at ``place`` (its GPS at that city's centre)."""
    if place is not None:
        position = position or POSITIONS[place["city"]]
        fields |= {
            "place_city": place["city"],
            "place_region": place["region"],
            "place_country": place["country"],
            "place_country_code": place["code"],
        }
    if position is not None:
        fields |= {"latitude": position[0], "longitude": position[1]}
    defaults = {
        "format": "jpeg",
        "width": 4,
        "height": 3,
        "size": 10,
        "checksum": "0" * 64,
        "status": Image.Status.READY,
        "thumbnail_key": f"x/{uuid.uuid4().hex}/thumbnail.jpg",
        "taken_at": taken,
    }
    return Image.objects.create(owner=owner, **{**defaults, **fields})


def places(client, **params) -> dict:
    response = client.get(reverse("place-list"), params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def clusters(client, **params) -> dict:
    response = client.get(reverse("place-clusters"), params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def ids(client, **params) -> set[str]:
    response = client.get(reverse("image-list"), {**params, "page_size": 100})
    assert response.status_code == HTTPStatus.OK, response.content
    return {item["id"] for item in response.json()["results"]}


WORLD = "-180,-90,180,90"


class TestPlaceListView:
    def test_cities_with_counts_most_pictured_first(self, user, auth_client):
        for _ in range(3):
            picture(user, PARIS)
        picture(user, SYDNEY)
        picture(user)  # no GPS: in no place
        body = places(auth_client)
        rows = [(r["city"], r["region"], r["country_code"], r["count"]) for r in body["results"]]
        assert rows == [("Paris", "Île-de-France", "FR", 3), ("Sydney", "New South Wales", "AU", 1)]
        assert body["next"] is None and body["previous"] is None

    def test_levels_group_coarser(self, user, auth_client):
        picture(user, PARIS)
        picture(user, LYON)
        picture(user, SYDNEY)
        countries = places(auth_client, level="country")["results"]
        assert [
            (r["country_code"], r["country"], r["region"], r["city"], r["count"]) for r in countries
        ] == [
            ("FR", "France", "", "", 2),
            ("AU", "Australia", "", "", 1),
        ]
        regions = places(auth_client, level="region", country_code="fr")["results"]
        assert sorted((r["region"], r["count"]) for r in regions) == [
            ("Auvergne-Rhône-Alpes", 1),
            ("Île-de-France", 1),
        ]
        cities = places(auth_client, country_code="FR", region="Île-de-France")["results"]
        assert [r["city"] for r in cities] == ["Paris"]

    def test_the_cover_is_the_most_recently_taken_picture_with_a_signed_thumbnail(
        self, user, auth_client
    ):
        old = picture(user, PARIS, taken=datetime(2020, 1, 1, tzinfo=UTC))
        new = picture(user, PARIS, taken=datetime(2024, 1, 1, tzinfo=UTC))
        [row] = places(auth_client)["results"]
        assert row["cover"]["id"] == str(new.pk) != str(old.pk)
        thumbnail = row["cover"]["thumbnail"]
        assert f"/images/{new.pk}/thumbnail/?sig=" in thumbnail
        response = auth_client.get(thumbnail)
        # The URL is the gallery's own signed one (the row's file is not real here).
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND)

    def test_a_cover_not_rendered_yet_has_no_thumbnail(self, user, auth_client):
        picture(user, PARIS, thumbnail_key="", status=Image.Status.PENDING)
        [row] = places(auth_client)["results"]
        assert row["cover"]["thumbnail"] is None

    def test_pages_by_limit_and_offset(self, user, auth_client):
        picture(user, PARIS)
        picture(user, PARIS)
        picture(user, SYDNEY)
        first = places(auth_client, limit=1)
        assert [r["city"] for r in first["results"]] == ["Paris"]
        assert first["previous"] is None
        second = auth_client.get(first["next"]).json()
        assert [r["city"] for r in second["results"]] == ["Sydney"]
        assert second["next"] is None and second["previous"] is not None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"level": "continent"}, "level"),
            ({"country_code": "FRA"}, "country_code"),
            ({"country_code": "F1"}, "country_code"),
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"offset": -1}, "offset"),
            ({"city": "Paris"}, "city"),
        ],
    )
    def test_bad_parameters_are_400s_naming_them(self, auth_client, params, field):
        response = auth_client.get(reverse("place-list"), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field in field_errors(response.json())

    def test_constant_queries_however_many_places(
        self, user, auth_client, django_assert_max_num_queries
    ):
        picture(user, PARIS)
        with django_assert_max_num_queries(10) as one:
            places(auth_client)
        for place in (LYON, SYDNEY, PARIS):
            for _ in range(3):
                picture(user, place)
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(places(auth_client)["results"]) == 3


class TestPlacePrivacy:
    def test_anonymous_is_401(self, api_client):
        assert api_client.get(reverse("place-list")).status_code == HTTPStatus.UNAUTHORIZED
        response = api_client.get(reverse("place-clusters"), {"bbox": WORLD, "zoom": 0})
        assert response.status_code == HTTPStatus.UNAUTHORIZED

    def test_another_account_sees_only_its_own_empty_lists(self, user, other_client):
        mine = picture(user, PARIS)
        assert places(other_client)["results"] == []
        assert clusters(other_client, bbox=WORLD, zoom=0)["features"] == []
        assert ids(other_client, country_code="FR") == set()
        assert str(mine.pk) not in ids(other_client)

    def test_the_trash_and_the_locked_folder_are_never_counted_covered_or_clustered(
        self, user, auth_client
    ):
        live = picture(user, PARIS, taken=datetime(2020, 1, 1, tzinfo=UTC))
        later = datetime(2024, 1, 1, tzinfo=UTC)
        picture(user, PARIS, taken=later, trashed_at=timezone.now())
        picture(user, PARIS, taken=later, locked_at=timezone.now())
        picture(user, SYDNEY, trashed_at=timezone.now())
        picture(user, SYDNEY, locked_at=timezone.now())
        [row] = places(auth_client)["results"]
        assert (row["city"], row["count"], row["cover"]["id"]) == ("Paris", 1, str(live.pk))
        features = clusters(auth_client, bbox=WORLD, zoom=0)["features"]
        assert [(f["properties"]["count"], f["properties"]["image_id"]) for f in features] == [
            (1, str(live.pk))
        ]
        assert ids(auth_client, country_code="AU") == set()
        assert ids(auth_client, city="Paris") == {str(live.pk)}


class TestPlaceClusterView:
    def test_a_geojson_feature_collection_of_grid_cells(self, user, auth_client):
        paris = [picture(user, PARIS) for _ in range(2)]
        picture(user, LYON)
        picture(user, SYDNEY)
        body = clusters(auth_client, bbox=WORLD, zoom=0)
        assert body["type"] == "FeatureCollection" and body["truncated"] is False
        # At zoom 0 a cell is 90°: Paris and Lyon share one, Sydney has its own.
        counts = sorted(f["properties"]["count"] for f in body["features"])
        assert counts == [1, 3]
        # Zoomed in to 2.8° cells (zoom 5), Paris and Lyon part.
        zoomed = clusters(auth_client, bbox="-10,40,10,55", zoom=5)["features"]
        by_count = {f["properties"]["count"]: f for f in zoomed}
        assert set(by_count) == {1, 2}
        two = by_count[2]
        assert two["type"] == "Feature" and two["geometry"]["type"] == "Point"
        longitude, latitude = two["geometry"]["coordinates"]
        assert (latitude, longitude) == pytest.approx(POSITIONS["Paris"])
        assert two["properties"]["image_id"] == str(min(p.pk for p in paris))

    def test_only_what_is_in_the_box(self, user, auth_client):
        picture(user, PARIS)
        picture(user, SYDNEY)
        features = clusters(auth_client, bbox="100,-50,160,-10", zoom=3)["features"]
        assert [f["properties"]["count"] for f in features] == [1]

    def test_a_box_across_the_antimeridian(self, user, auth_client):
        fiji = picture(user, position=(-16.45, 179.36))
        samoa = picture(user, position=(-13.83, -171.76))
        picture(user, SYDNEY)
        features = clusters(auth_client, bbox="170,-30,-165,0", zoom=6)["features"]
        assert {f["properties"]["image_id"] for f in features} == {str(fiji.pk), str(samoa.pk)}

    def test_poles_and_the_antimeridian_itself(self, user, auth_client):
        for position in [(90.0, 0.0), (-90.0, 180.0), (0.0, -180.0), (0.0, 180.0)]:
            picture(user, position=position)
        features = clusters(auth_client, bbox=WORLD, zoom=22)["features"]
        assert sum(f["properties"]["count"] for f in features) == 4
        for feature in features:
            longitude, latitude = feature["geometry"]["coordinates"]
            assert -180 <= longitude <= 180 and -90 <= latitude <= 90

    def test_a_page_of_at_most_the_limit_largest_first(self, user, auth_client, monkeypatch):
        monkeypatch.setattr("images.places.CLUSTERS_MAX", 2)
        picture(user, PARIS)
        picture(user, PARIS)
        picture(user, LYON)
        picture(user, SYDNEY)
        body = clusters(auth_client, bbox=WORLD, zoom=10)
        assert body["truncated"] is True
        assert [f["properties"]["count"] for f in body["features"]] == [2, 1]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"zoom": 3}, "bbox"),
            ({"bbox": WORLD}, "zoom"),
            ({"bbox": "1,2,3", "zoom": 3}, "bbox"),
            ({"bbox": "a,b,c,d", "zoom": 3}, "bbox"),
            ({"bbox": "nan,0,1,1", "zoom": 3}, "bbox"),
            ({"bbox": "0,inf,1,1", "zoom": 3}, "bbox"),
            ({"bbox": "-181,0,1,1", "zoom": 3}, "bbox"),
            ({"bbox": "0,-91,1,1", "zoom": 3}, "bbox"),
            ({"bbox": "0,10,1,-10", "zoom": 3}, "bbox"),
            ({"bbox": WORLD, "zoom": -1}, "zoom"),
            ({"bbox": WORLD, "zoom": 23}, "zoom"),
            ({"bbox": WORLD, "zoom": "1.5"}, "zoom"),
            ({"bbox": WORLD, "zoom": 1, "limit": 5}, "limit"),
        ],
    )
    def test_bad_parameters_are_400s_naming_them(self, auth_client, params, field):
        response = auth_client.get(reverse("place-clusters"), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field in field_errors(response.json())

    def test_one_query_however_many_clusters(
        self, user, auth_client, django_assert_max_num_queries
    ):
        picture(user, PARIS)
        with django_assert_max_num_queries(10) as one:
            clusters(auth_client, bbox=WORLD, zoom=8)
        for place in (LYON, SYDNEY):
            picture(user, place)
        picture(user, position=(10.0, 10.0))
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(clusters(auth_client, bbox=WORLD, zoom=8)["features"]) == 4


class TestPlaceFilters:
    def test_by_country_region_and_city(self, user, auth_client):
        paris, lyon, sydney = picture(user, PARIS), picture(user, LYON), picture(user, SYDNEY)
        nowhere = picture(user)
        assert ids(auth_client, country_code="fr") == {str(paris.pk), str(lyon.pk)}
        assert ids(auth_client, country_code="FR", region="Île-de-France") == {str(paris.pk)}
        assert ids(auth_client, city="Sydney") == {str(sydney.pk)}
        assert ids(auth_client, has_location="true") == {str(p.pk) for p in (paris, lyon, sydney)}
        assert ids(auth_client, has_location="false") == {str(nowhere.pk)}

    def test_a_body_names_its_place(self, user, auth_client):
        paris, nowhere = picture(user, PARIS), picture(user)
        body = auth_client.get(reverse("image-detail", kwargs={"pk": paris.pk})).json()
        assert body["place"] == {
            "city": "Paris",
            "region": "Île-de-France",
            "country": "France",
            "country_code": "FR",
        }
        body = auth_client.get(reverse("image-detail", kwargs={"pk": nowhere.pk})).json()
        assert body["place"] is None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"country_code": "FRA"}, "country_code"),
            ({"country_code": "F1"}, "country_code"),
            ({"city": "x" * 101}, "city"),
            ({"has_location": "yes"}, "has_location"),
        ],
    )
    def test_bad_filters_are_400s(self, auth_client, params, field):
        response = auth_client.get(reverse("image-list"), params)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field in field_errors(response.json())


def test_a_partners_pictures_are_never_found_by_place(user, other_user, auth_client):
    """Their whereabouts are metadata the partner may not show: place filters list only the
    caller's own pictures, even with ``include_partners``."""
    Partnership.objects.create(grantor=other_user, grantee=user, accepted_at=timezone.now())
    theirs, mine = picture(other_user, PARIS), picture(user, PARIS)
    assert str(theirs.pk) in ids(auth_client, include_partners="true")
    for params in ({"country_code": "FR"}, {"city": "Paris"}, {"has_location": "true"}):
        assert ids(auth_client, include_partners="true", **params) == {str(mine.pk)}
    # And a partner's body names no place unless it shows metadata.
    listed = auth_client.get(reverse("image-list"), {"include_partners": "true"}).json()
    [body] = [item for item in listed["results"] if item["id"] == str(theirs.pk)]
    assert body["place"] is None and body["metadata"]["latitude"] is None


def test_another_accounts_rows_are_not_in_mine_at_scale(user, auth_client):
    """Many accounts in one place: each sees its own count."""
    others = [UserFactory() for _ in range(3)]
    for other in others:
        picture(other, PARIS)
    picture(user, PARIS, taken=datetime.now(UTC) - timedelta(days=1))
    [row] = places(auth_client)["results"]
    assert row["count"] == 1
