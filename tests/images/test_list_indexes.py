"""Every page of the gallery reads its rows in index order: no sort of the whole library.

The keyset walk (``images.pagination``) orders by the field, nulls last, then the id; each
walk, forwards and backwards, must match an index of ``Image`` exactly, or the database sorts
every live picture of the owner for each page (8× slower at 200,000 pictures, issue 22).
The statements are the ones the API ran, captured and explained with sorting switched off
(PostgreSQL then still sorts where no index serves, at a prohibitive cost the plan shows).
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from images.models import Image

pytestmark = pytest.mark.django_db

ORDERINGS_BOTH = ["-created_at", "created_at", "-taken_at", "-timeline_at", "timeline_at"]
# SQLite keeps nulls first going up, and cannot be told otherwise in an index: taken_at
# ascending (nulls last) is served by an index on PostgreSQL only.
ORDERINGS_POSTGRESQL = ["taken_at"]


@pytest.fixture
def library(user):
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(30):
        Image.objects.create(
            owner=user,
            format="JPEG",
            width=1,
            height=1,
            size=1,
            status="ready",
            taken_at=None if i % 5 == 0 else start + timedelta(days=i * 7),
            thumbnail_key=f"{uuid.uuid4().hex}/thumbnail.jpg",
        )


def _page_statements(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "images_image"' in q["sql"] and "ORDER BY" in q["sql"]
    ]


def _sorts(sql: str) -> bool:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            return "Sort" in plan
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        return "TEMP B-TREE" in plan


@pytest.mark.usefixtures("library")
class TestGalleryPagesUseTheirIndex:
    @pytest.mark.parametrize("ordering", ORDERINGS_BOTH + ORDERINGS_POSTGRESQL)
    def test_first_next_and_previous_pages_never_sort(self, auth_client, ordering):
        if ordering in ORDERINGS_POSTGRESQL and connection.vendor != "postgresql":
            pytest.skip("an index with nulls last going up exists on PostgreSQL only")
        url = reverse("image-list") + f"?ordering={ordering}&page_size=5"
        first = auth_client.get(url).json()
        second = auth_client.get(first["next"]).json()
        statements = [
            *_page_statements(auth_client, url),
            *_page_statements(auth_client, first["next"]),
            *_page_statements(auth_client, second["previous"]),
        ]
        assert len(statements) == 3
        sorting = [sql for sql in statements if _sorts(sql)]
        assert sorting == []

    # The timeline (issue 22, item 1): a month's pictures and a jump read the same index.
    @pytest.mark.parametrize("ordering", ["-timeline_at", "timeline_at"])
    @pytest.mark.parametrize(
        "narrowed", ["month=2020-03", "day=2020-03-04", "timeline_from=2020-04"]
    )
    def test_a_bucket_and_a_jump_never_sort(self, auth_client, ordering, narrowed):
        url = reverse("image-list") + f"?ordering={ordering}&page_size=2&{narrowed}"
        first = auth_client.get(url).json()
        assert first["results"]
        statements = _page_statements(auth_client, url)
        if first["next"]:
            statements += _page_statements(auth_client, first["next"])
        if first["previous"]:
            statements += _page_statements(auth_client, first["previous"])
        assert statements
        assert [sql for sql in statements if _sorts(sql)] == []
