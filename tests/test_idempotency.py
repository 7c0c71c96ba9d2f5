"""Safe retries (#13.9): an ``Idempotency-Key`` makes an upload happen at most once.

Through HTTP, on real files and the database: a retry replays the first answer and stores
nothing more, another request under the key is a 422, a refused request does not use up its
key, and on PostgreSQL racing requests with one key create one image.
"""

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.client import encode_multipart
from django.urls import reverse
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from idempotency import services as idempotency
from idempotency.models import IdempotencyKey
from images.models import Image
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes, upload_request
from tests.parallel import in_parallel_n
from users.models import User

KEY = "3f1c9a52-upload-harbour"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.yml"


def post_image(
    client: APIClient,
    key: str | None = KEY,
    *,
    data: bytes | None = None,
    name: str = "harbour.png",
    title: str = "Harbour",
):
    """An upload, with ``key`` as its Idempotency-Key (none if ``None``)."""
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    data = data if data is not None else image_bytes("PNG")
    return upload_request(client, data, name=name, style="sepia", title=title, **headers)


@pytest.fixture
def replayed() -> Callable:
    def _replayed(response) -> bool:
        return response.headers.get("Idempotent-Replayed") == "true"

    return _replayed


class TestIdempotentUpload:
    def test_a_retry_replays_the_first_answer_and_stores_nothing_more(
        self, auth_client, user, replayed, assert_storage_consistent
    ):
        first = post_image(auth_client)
        retry = post_image(auth_client)

        assert first.status_code == retry.status_code == HTTPStatus.CREATED
        assert retry.content == first.content
        assert retry.headers["Location"] == first.headers["Location"]
        assert not replayed(first) and replayed(retry)
        assert Image.objects.filter(owner=user).count() == 1
        assert IdempotencyKey.objects.get(owner=user, key=KEY).state == "completed"
        assert_storage_consistent()

    def test_a_retry_with_a_new_multipart_boundary_is_the_same_request(
        self, auth_client, user, replayed, assert_storage_consistent
    ):
        data = image_bytes("PNG")
        responses = []
        for boundary in ("attempt-1-a8f3", "attempt-2-77c0"):
            body = encode_multipart(
                boundary,
                {"title": "Harbour", "style": "sepia", "file": SimpleUploadedFile("h.png", data)},
            )
            responses.append(
                auth_client.post(
                    reverse("image-list"),
                    body,
                    content_type=f"multipart/form-data; boundary={boundary}",
                    HTTP_IDEMPOTENCY_KEY=KEY,
                )
            )

        assert [r.status_code for r in responses] == [HTTPStatus.CREATED] * 2
        assert responses[1].json() == responses[0].json() and replayed(responses[1])
        assert Image.objects.filter(owner=user).count() == 1
        assert_storage_consistent()

    @pytest.mark.parametrize(
        "change",
        [
            {"data": image_bytes("PNG", color=(1, 2, 3))},
            {"name": "market.png"},
            {"title": "Market"},
        ],
        ids=["other-bytes", "other-file-name", "other-title"],
    )
    def test_the_key_with_a_different_request_is_a_422(
        self, auth_client, user, change, assert_storage_consistent
    ):
        first = post_image(auth_client)

        response = post_image(auth_client, **change)

        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        body = response.json()
        assert body["code"] == "idempotency_key_reused" and "Idempotency-Key" in body["detail"]
        assert [str(i.pk) for i in Image.objects.filter(owner=user)] == [first.json()["id"]]
        assert_storage_consistent()

    def test_keys_belong_to_the_account(
        self, auth_client, other_client, user, other_user, replayed
    ):
        mine = post_image(auth_client)
        theirs = post_image(other_client)

        assert mine.status_code == theirs.status_code == HTTPStatus.CREATED
        assert not replayed(theirs) and theirs.json()["id"] != mine.json()["id"]
        assert Image.objects.filter(owner=user).count() == 1
        assert Image.objects.filter(owner=other_user).count() == 1

    def test_without_a_key_two_uploads_make_two_images(
        self, auth_client, user, replayed, assert_storage_consistent
    ):
        responses = [post_image(auth_client, None) for _ in range(2)]

        assert [r.status_code for r in responses] == [HTTPStatus.CREATED] * 2
        assert not any(replayed(r) for r in responses)
        assert Image.objects.filter(owner=user).count() == 2
        assert not IdempotencyKey.objects.exists()
        assert_storage_consistent()

    @pytest.mark.parametrize(
        ("key", "reason"),
        [
            ("", "it is empty"),
            ("k" * 256, "it has 256"),
            ("café", "'é'"),
            ("tab\tinside", "'\\t'"),
            (" padded", "starts or ends with a space"),
        ],
        ids=["empty", "too-long", "not-ascii", "control-character", "leading-space"],
    )
    def test_an_invalid_key_is_a_400_that_says_why(self, auth_client, user, key, reason):
        response = post_image(auth_client, key)

        assert response.status_code == HTTPStatus.BAD_REQUEST
        body = response.json()
        assert body["code"] == "invalid_idempotency_key"
        assert "1 to 255 printable ASCII" in body["detail"] and reason in body["detail"]
        assert not Image.objects.exists() and not IdempotencyKey.objects.exists()

    def test_a_key_of_255_printable_characters_with_spaces_inside_is_accepted(
        self, auth_client, user
    ):
        key = ("a ~!" * 64)[:254] + "z"

        assert post_image(auth_client, key).status_code == HTTPStatus.CREATED
        assert IdempotencyKey.objects.get(owner=user).key == key

    def test_a_refused_request_does_not_use_up_its_key(
        self, auth_client, user, replayed, assert_storage_consistent
    ):
        refused = post_image(auth_client, data=b"just some text, not an image at all")
        assert refused.status_code == HTTPStatus.BAD_REQUEST
        assert not IdempotencyKey.objects.exists()

        fixed = post_image(auth_client)
        retry = post_image(auth_client)

        assert fixed.status_code == HTTPStatus.CREATED and not replayed(fixed)
        assert retry.status_code == HTTPStatus.CREATED and replayed(retry)
        assert Image.objects.filter(owner=user).count() == 1
        assert_storage_consistent()

    def test_a_key_older_than_24_hours_is_new(
        self, auth_client, user, replayed, assert_storage_consistent
    ):
        first = post_image(auth_client)
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))

        again = post_image(auth_client)

        assert again.status_code == HTTPStatus.CREATED and not replayed(again)
        assert again.json()["id"] != first.json()["id"]
        assert Image.objects.filter(owner=user).count() == 2
        row = IdempotencyKey.objects.get(owner=user, key=KEY)
        assert timezone.now() - row.created_at < timedelta(minutes=1)
        assert_storage_consistent()

    def test_a_key_just_under_24_hours_old_still_replays(self, auth_client, user, replayed):
        post_image(auth_client)
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))

        assert replayed(post_image(auth_client))
        assert Image.objects.filter(owner=user).count() == 1

    def test_a_replay_does_not_count_against_the_quota(self, auth_client, user, replayed):
        user.quota_images = 1
        user.save(update_fields=["quota_images"])

        first = post_image(auth_client)
        retry = post_image(auth_client)
        another = post_image(auth_client, "another-key", title="Another")

        assert first.status_code == HTTPStatus.CREATED
        assert retry.status_code == HTTPStatus.CREATED and replayed(retry)
        # The quota is really full: a new request under a new key is refused.
        assert another.status_code == HTTPStatus.FORBIDDEN
        assert another.json()["code"] == "quota_exceeded"
        assert Image.objects.filter(owner=user).count() == 1
        assert not IdempotencyKey.objects.filter(key="another-key").exists()

    def test_a_key_still_in_progress_is_a_409_with_retry_after(
        self, auth_client, user, monkeypatch
    ):
        monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
        post_image(auth_client)
        # As if the first request were still running.
        IdempotencyKey.objects.update(state="in_progress")

        response = post_image(auth_client)

        assert response.status_code == HTTPStatus.CONFLICT
        assert response.json()["code"] == "idempotency_key_in_progress"
        assert int(response.headers["Retry-After"]) >= 1
        assert Image.objects.filter(owner=user).count() == 1

    def test_a_different_request_under_a_key_in_progress_is_a_422_at_once(
        self, auth_client, user, monkeypatch
    ):
        monkeypatch.setattr(idempotency, "WAIT_SECONDS", 60)
        post_image(auth_client)
        IdempotencyKey.objects.update(state="in_progress")

        response = post_image(auth_client, title="Something else")

        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    def test_a_claim_abandoned_by_a_dead_process_is_taken_over(self, auth_client, user, replayed):
        post_image(auth_client)
        IdempotencyKey.objects.update(
            state="in_progress", created_at=timezone.now() - timedelta(minutes=6)
        )

        response = post_image(auth_client)

        assert response.status_code == HTTPStatus.CREATED and not replayed(response)
        assert IdempotencyKey.objects.get(owner=user, key=KEY).state == "completed"

    def test_deleting_the_account_deletes_its_keys(self, auth_client, user, other_client):
        post_image(auth_client)
        post_image(other_client)

        deleted = auth_client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert deleted.status_code == HTTPStatus.NO_CONTENT

        assert list(IdempotencyKey.objects.values_list("owner__username", flat=True)) == ["mallory"]


class TestIdempotencyKeysPurge:
    def test_deletes_keys_older_than_the_cutoff_and_counts_them(self, db):
        user = UserFactory()
        now = timezone.now()
        for key, age in (("old", timedelta(hours=25)), ("older", timedelta(days=3))):
            IdempotencyKey.objects.create(owner=user, key=key, fingerprint="0" * 64)
            IdempotencyKey.objects.filter(key=key).update(created_at=now - age)
        IdempotencyKey.objects.create(owner=user, key="fresh", fingerprint="0" * 64)

        purged = idempotency.idempotency_keys_purge(older_than=idempotency.KEY_TTL)

        assert purged == 2
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


class TestRequestFingerprint:
    factory = APIRequestFactory()

    def fingerprint(self, body: bytes, path: str = "/api/v1/shares/") -> str:
        request = Request(
            self.factory.post(path, body, content_type="application/json"),
            parsers=[JSONParser()],
        )
        return idempotency.request_fingerprint(request=request)

    def test_json_is_compared_in_canonical_form(self):
        assert self.fingerprint(b'{"a": 1, "b": [1, 2]}') == self.fingerprint(
            b'{\n  "b": [1,2],\n  "a": 1\n}'
        )

    def test_is_keyed_with_the_secret_key(self, settings):
        # A body may hold a secret (a share's password): no offline guessing from the table.
        before = self.fingerprint(b'{"password": "hunter2"}')
        settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
        assert self.fingerprint(b'{"password": "hunter2"}') != before

    def test_another_value_or_path_is_another_request(self):
        base = self.fingerprint(b'{"a": 1}')
        assert self.fingerprint(b'{"a": 2}') != base
        assert self.fingerprint(b'{"a": "1"}') != base
        assert self.fingerprint(b'{"a": 1}', path="/api/v1/images/") != base


class TestSchema:
    def test_the_upload_documents_the_key_and_its_answers(self):
        upload = yaml.safe_load(SCHEMA_FILE.read_text())["paths"]["/api/v1/images/"]["post"]
        header = next(p for p in upload["parameters"] if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and not header.get("required", False)
        assert header["schema"]["maxLength"] == 255
        assert {"409", "422"} <= set(upload["responses"])
        assert "Retry-After" in upload["responses"]["409"]["headers"]
        assert "Idempotent-Replayed" in upload["responses"]["201"]["headers"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRacingRetries:
    """Real threads, each with its own connection, released together on PostgreSQL."""

    THREADS = 8

    @pytest.fixture(autouse=True)
    def _postgres_only(self):
        if connection.vendor != "postgresql":
            pytest.skip("racing requests are tested on PostgreSQL")

    @pytest.fixture
    def racer(self) -> User:
        return UserFactory(username="racer")

    @pytest.fixture
    def new_client(self, racer: User) -> Callable[[], APIClient]:
        """A new client per thread, all logged in as ``racer`` with one token."""
        access = (
            APIClient()
            .post(reverse("auth-token"), {"username": "racer", "password": DEFAULT_PASSWORD})
            .json()["access"]
        )

        def _new_client() -> APIClient:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            return client

        return _new_client

    def test_racing_retries_with_one_key_create_one_image(
        self, racer, new_client, replayed, assert_storage_consistent
    ):
        data = image_bytes("PNG", size=(32, 24))

        responses = in_parallel_n(self.THREADS, lambda i: post_image(new_client(), data=data))

        assert [r.status_code for r in responses] == [HTTPStatus.CREATED] * self.THREADS
        assert len({r.content for r in responses}) == 1
        assert sum(not replayed(r) for r in responses) == 1
        assert Image.objects.filter(owner=racer).count() == 1
        assert IdempotencyKey.objects.get(owner=racer).state == "completed"
        assert_storage_consistent()

    def test_racing_different_requests_with_one_key_create_one_image(
        self, racer, new_client, assert_storage_consistent
    ):
        def upload(i: int):
            return post_image(new_client(), data=image_bytes("PNG", size=(32, 24), color=(i, 0, 0)))

        statuses = [r.status_code for r in in_parallel_n(self.THREADS, upload)]

        assert statuses.count(HTTPStatus.CREATED) == 1
        assert statuses.count(HTTPStatus.UNPROCESSABLE_ENTITY) == self.THREADS - 1
        assert Image.objects.filter(owner=racer).count() == 1
        assert_storage_consistent()

    def test_a_racing_failure_gives_the_key_back_to_the_next(
        self, racer, new_client, assert_storage_consistent
    ):
        def upload(i: int):
            # Every request is the same refused upload: none may leave the key claimed.
            return post_image(new_client(), data=b"just some text, not an image at all")

        statuses = [r.status_code for r in in_parallel_n(self.THREADS, upload)]

        assert set(statuses) == {HTTPStatus.BAD_REQUEST}
        assert not IdempotencyKey.objects.exists()
        assert not Image.objects.exists()
        assert_storage_consistent()


@pytest.mark.django_db(transaction=True)
class TestTheKeysTableMovedApps:
    """``IdempotencyKey`` left the accounts app for its own: Django's state moved, the table
    (``users_idempotencykey``) and its rows stayed."""

    BEFORE = [("users", "0003_idempotency_keys")]

    def test_keys_written_before_the_move_are_read_after_it(self):
        user = UserFactory()
        executor = MigrationExecutor(connection)
        executor.migrate(self.BEFORE)
        try:
            old_key = executor.loader.project_state(self.BEFORE).apps.get_model(
                "users", "IdempotencyKey"
            )
            old_key.objects.create(owner_id=user.pk, key="before-the-move", fingerprint="0" * 64)
        finally:
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())

        moved = IdempotencyKey.objects.get(key="before-the-move")
        assert moved.owner == user
        assert IdempotencyKey._meta.db_table == "users_idempotencykey"
        assert not MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
