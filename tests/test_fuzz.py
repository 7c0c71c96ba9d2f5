"""Property-based fuzzing of every query parameter and every JSON body the schema documents.

Whatever arrives (text of any script, numbers, dates at the calendar's edges, NUL, deep or
odd JSON), the answer is never a 5xx, and every error is JSON that says what was wrong. The
operations come from the committed ``schema.yml``, so a new parameter or body is fuzzed the
day it is documented. Requests go through Django's test client with exceptions answered as a
server would (``raise_request_exception=False``), so a 500 is seen as the caller would see it.

Every path parameter is filled with a real object of the right kind (an album's id under
``albums/``, a share's under ``shares/``, a trashed image's under ``trash/``, a live share's
token and one of its images under ``shared/``), so a fuzzed value reaches the code that reads
it instead of stopping at a 404; the share links' path parameters are fuzzed too.
"""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
import yaml
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from images.models import AlbumMember, Partnership
from tests.factories import UserFactory, image_bytes

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[1] / "schema.yml").read_text())
# Operations that would end the fuzzing account's session are fuzzed in their own tests.
SKIP = {"me_delete"}
# How far each property walks is the Hypothesis profile's (tests/conftest.py, ATELIER_HYPOTHESIS):
# a fixed walk of 100 examples in CI on SQLite and PostgreSQL, a shorter fixed walk in
# ``make test``, so a pass means the same thing every time; ATELIER_FUZZ_EXPLORE=1 walks new
# ground with ten times CI's examples, to hunt for new bugs (a forged cursor offset PostgreSQL
# cannot store was found that way). A find becomes a test.
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


# The operations that page, by ``cursor`` and ``page_size``: fuzzed with both even where the
# schema forgot them, and ``test_every_paging_parameter_is_documented`` fails until it says so.
PAGING = ["cursor", "page_size"]
PAGED = (
    "albums_list",
    "images_list",
    "shares_list",
    "shared_retrieve",
    "trash_list",
    "invitations_list",
    "shared_albums_list",
)


def operations(method: str, *, query: bool = False, json_body: bool = False) -> list[tuple]:
    found = []
    for path, item in SCHEMA["paths"].items():
        operation = item.get(method)
        if operation is None or operation["operationId"] in SKIP:
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if operation["operationId"] in PAGED:
            names = list(dict.fromkeys(names + PAGING))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if (query and names) or (json_body and body) or (not query and not json_body):
            fields = []
            if body:
                ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
                fields = list(SCHEMA["components"]["schemas"][ref].get("properties", {}))
            found.append((operation["operationId"], path, names, fields))
    return found


GET_WITH_QUERY = operations("get", query=True)
DELETE_WITH_QUERY = operations("delete", query=True)
JSON_BODIES = [
    (method, *op)
    for method in ("post", "patch", "put", "delete")
    for op in operations(method, json_body=True)
]

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
# The calendar's edges, where a far offset pushes a date off it once converted to UTC.
calendar_edges = st.one_of(
    st.datetimes(min_value=datetime(9999, 12, 30)), st.datetimes(max_value=datetime(1, 1, 2))
)
date_times = st.one_of(
    st.datetimes(timezones=st.one_of(st.just(UTC), offsets)).map(lambda d: d.isoformat()),
    st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), calendar_edges, offsets),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
)
plain_values = st.one_of(
    st.text(max_size=300),
    st.integers().map(str),
    st.floats().map(str),
    date_times,
    st.sampled_from(["", " ", "-created_at", "none", "ready", "sepia", "0", "-1", "1e309"]),
    st.text(alphabet="0123456789abcdefABCDEF-", max_size=70),
)
# Cursors are opaque to clients but not to attackers: forge them around any position.
cursors = st.builds(
    lambda position, offset: base64.b64encode(
        urlencode({"p": position, "o": offset}).encode()
    ).decode(),
    plain_values,
    st.integers(-5, 10**6),
)
many_terms = st.lists(st.text(alphabet="ab", min_size=1, max_size=2), max_size=1200).map(" ".join)
query_values = st.one_of(plain_values, cursors, many_terms)
# Lone surrogates are valid JSON escapes ("\\ud800") but no valid string anywhere after.
lone_surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | lone_surrogates,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def assert_answered_well(response) -> None:
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.content[:500]
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        assert response["Content-Type"].startswith("application/json"), response.content[:300]
        body = response.json()
        assert isinstance(body, dict) and body, body


@pytest.fixture
def fuzz_client(auth_client: APIClient) -> APIClient:
    auth_client.raise_request_exception = False
    return auth_client


@pytest.fixture
def image_id(upload) -> str:
    return upload(image_bytes("PNG"))["id"]


@pytest.fixture
def objects(fuzz_client, image_id, upload, user) -> SimpleNamespace:
    """One object of each kind a path names: the image, an album and a share holding it, a
    trashed image, and a live share link (not the one the fuzz may change) showing it."""
    album = fuzz_client.post(reverse("album-list"), {"title": "Fuzz"}, format="json").json()
    fuzz_client.put(
        reverse("album-images", kwargs={"pk": album["id"]}),
        {"image_ids": [image_id]},
        format="json",
    )
    share = fuzz_client.post(
        reverse("share-list"), {"album": album["id"], "password": "fuzz"}, format="json"
    ).json()
    link = fuzz_client.post(
        reverse("share-list"),
        {"image_ids": [image_id], "allow_original": True},
        format="json",
    ).json()
    trashed = upload(image_bytes("PNG", color=(1, 2, 3)))["id"]
    fuzz_client.delete(reverse("image-detail", kwargs={"pk": trashed}))
    member = AlbumMember.objects.create(
        album_id=album["id"], user=UserFactory(username="fuzz-member"), role="viewer"
    )
    grantor = UserFactory(username="fuzz-grantor")
    partnership = Partnership.objects.create(
        grantor=grantor, grantee=user, accepted_at=datetime.now(tz=UTC)
    )
    return SimpleNamespace(
        image=image_id,
        album=album["id"],
        share=share["id"],
        trashed=trashed,
        link=link["token"],
        member=str(member.pk),
        grantor=str(grantor.pk),
        partnership=str(partnership.pk),
    )


def url_for(path: str, objects: SimpleNamespace) -> str:
    """The schema's path with each parameter filled by a real object of its kind."""
    kind = {
        "albums": objects.album,
        "shares": objects.share,
        "trash": objects.trashed,
        "partners": objects.partnership,
    }
    pk = kind.get(path.split("/")[3], objects.image)
    return (
        path.replace("{id}", pk)
        .replace("{token}", objects.link)
        .replace("{image_id}", objects.image)
        .replace("{album_id}", objects.album)
        .replace("{member_id}", objects.member)
        .replace("{grantor_id}", objects.grantor)
    )


QUERY_PARAMETERS = [
    (path, name) for _, path, names, _ in GET_WITH_QUERY for name in [*names, "unknown"]
]


def test_every_path_parameter_is_filled():
    for path in SCHEMA["paths"]:
        filled = url_for(
            path,
            SimpleNamespace(
                **dict.fromkeys(
                    [
                        "image",
                        "album",
                        "share",
                        "trashed",
                        "link",
                        "member",
                        "grantor",
                        "partnership",
                    ],
                    "x",
                )
            ),
        )
        assert "{" not in filled, path


def test_every_paging_parameter_is_documented():
    """An operation that pages documents ``cursor`` and ``page_size``, or clients (and a fuzz
    driven by the schema) cannot know of them; shared/{token}/ documented neither at first."""
    undocumented = {}
    for path, item in SCHEMA["paths"].items():
        operation = item.get("get", {})
        if operation.get("operationId") not in PAGED:
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if missing := set(PAGING) - names:
            undocumented[path] = sorted(missing)
    assert undocumented == {}
    documented = {item.get("get", {}).get("operationId") for item in SCHEMA["paths"].values()}
    assert set(PAGED) <= documented


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), QUERY_PARAMETERS)
def test_every_query_parameter_of_every_get(fuzz_client, objects, path, name):
    url = url_for(path, objects)

    @FUZZ
    @given(value=query_values)
    def run(value: str) -> None:
        assert_answered_well(fuzz_client.get(f"{url}?{urlencode({name: value})}"))

    run()


@pytest.mark.django_db
@pytest.mark.parametrize(("operation_id", "path", "names", "fields"), GET_WITH_QUERY)
def test_query_parameters_together(fuzz_client, objects, operation_id, path, names, fields):
    url = url_for(path, objects)

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(names), query_values, max_size=len(names)))
    def run(params: dict[str, str]) -> None:
        assert_answered_well(fuzz_client.get(f"{url}?{urlencode(params)}"))

    run()


@pytest.mark.django_db
@pytest.mark.parametrize(("operation_id", "path", "names", "fields"), DELETE_WITH_QUERY)
def test_every_query_parameter_of_every_delete(
    fuzz_client, objects, upload, operation_id, path, names, fields
):
    current = {"image": objects.image}

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(names), query_values, max_size=len(names)))
    def run(params: dict[str, str]) -> None:
        url = url_for(path, SimpleNamespace(**{**vars(objects), **current}))
        response = fuzz_client.delete(f"{url}?{urlencode(params)}")
        assert_answered_well(response)
        if response.status_code == HTTPStatus.NO_CONTENT:  # it went: fuzz on with another
            current["image"] = upload(image_bytes("PNG"))["id"]

    run()


# Path parameters of the share links, which anyone may send: tokens of any length and script,
# NUL, slashes and dots, encoded or not, and image ids that are almost UUIDs.
path_tokens = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="abcdefABCDEF0123456789-_=.%/\\ ", max_size=120),
    st.sampled_from(["..", "../..", "%00", "%2e%2e", "%2F", "\x00", "\u202e", " ", "*"]),
)
almost_uuids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: str(u).upper()),
    st.text(alphabet="0123456789abcdef-", min_size=30, max_size=40),
)
SHARED_PATHS = [path for path in SCHEMA["paths"] if path.startswith("/api/v1/shared/")]


@pytest.mark.django_db
@pytest.mark.parametrize("path", SHARED_PATHS)
def test_every_share_link_path_parameter(fuzz_client, objects, path):
    @FUZZ
    @given(token=st.one_of(path_tokens, st.just(objects.link)), image=almost_uuids)
    def run(token: str, image: str) -> None:
        url = path.replace("{token}", quote(token, safe="")).replace("{image_id}", image)
        for method in ("GET", "POST", "OPTIONS"):
            assert_answered_well(fuzz_client.generic(method, url))
        head = fuzz_client.head(url)  # no body to read, but the same status and type
        assert head.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
        assert head.status_code < HTTPStatus.BAD_REQUEST or head["Content-Type"].startswith(
            "application/json"
        )

    run()


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "operation_id", "path", "names", "fields"), JSON_BODIES)
def test_every_json_body(fuzz_client, objects, method, operation_id, path, names, fields):
    url = url_for(path, objects)
    documented = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, json_values))

    @FUZZ
    @given(body=st.one_of(documented, json_values))
    def run(body: object) -> None:
        response = fuzz_client.generic(
            method.upper(), url, json.dumps(body), content_type="application/json"
        )
        assert_answered_well(response)

    run()


deep_json = st.builds(
    lambda depth, open_, close: (open_ * depth + close * depth).encode(),
    st.integers(1, 200_000),
    st.sampled_from(["[", '{"a":']),
    st.sampled_from(["]", "}"]),
)


@pytest.mark.django_db
def test_raw_bodies_that_are_not_json(fuzz_client, image_id):
    url = f"/api/v1/images/{image_id}/"

    @FUZZ
    @given(body=st.one_of(st.binary(max_size=200), deep_json))
    def run(body: bytes) -> None:
        assert_answered_well(
            fuzz_client.generic("PATCH", url, body, content_type="application/json")
        )

    run()
