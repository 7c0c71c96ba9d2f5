"""A picture saved to a library shares its source's files, and neither ever loses the other's.

The copy (``images.saving``) is a row of the saver's pointing at the source's stored files:
nothing new is stored (but a stripped original, once, beside the source), it counts against
the saver's quota in full, and whichever of the two is deleted, purged or restyled first, or
with its whole account, the other keeps serving the same bytes; the last to go takes the
files. On PostgreSQL, saves race the source's deletion and restyle with real threads. After
every change the storage audit is clean.
"""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images import audit, files
from images.models import Image, Partnership, StoredFileHolder
from images.selectors import image_storage_usage
from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, RENDER_WAIT_SECONDS
from tests.factories import DEFAULT_PASSWORD, UserFactory, upload_request
from tests.parallel import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = b"SAVEDCAMERA"


def _camera_photo(color: tuple[int, int, int] = (30, 140, 200)) -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = SECRET.decode()  # Make
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), color).save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _stored() -> set[str]:
    return set(files.storage_names(storage=default_storage))


def _served(client: APIClient, image_id, rendition: str) -> bytes:
    response = client.get(
        reverse(f"image-{rendition}", kwargs={"pk": image_id}), HTTP_ACCEPT="image/jpeg"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    return _content(response)


def _settled() -> None:
    if ON_S3_STACK:
        renders_settle(timeout=RENDER_WAIT_SECONDS)


def _partner(grantor, grantee, *, originals: bool = True, metadata: bool = True) -> None:
    Partnership.objects.create(
        grantor=grantor,
        grantee=grantee,
        accepted_at=timezone.now(),
        show_originals=originals,
        show_metadata=metadata,
    )


def _save(client: APIClient, grantor, image_id):
    return client.post(
        reverse("partner-image-save", kwargs={"grantor_id": grantor.pk, "image_id": image_id})
    )


def _saved(client: APIClient, grantor, image_id) -> Image:
    response = _save(client, grantor, image_id)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return Image.objects.get(pk=response.json()["id"])


@pytest.fixture
def photo(upload) -> Image:
    image = upload(_camera_photo(), name="camera.jpg", title="Shared")
    assert image["status"] == "ready", image
    return Image.objects.get(pk=image["id"])


def _delete_permanently(client: APIClient, image_id) -> None:
    url = reverse("image-detail", kwargs={"pk": image_id}) + "?permanent=true"
    assert client.delete(url).status_code == HTTPStatus.NO_CONTENT


def _delete_source(how: str, client: APIClient, image_id) -> None:
    if how == "permanent":
        _delete_permanently(client, image_id)
    elif how == "trash_purge":
        trashed = client.delete(reverse("image-detail", kwargs={"pk": image_id}))
        assert trashed.status_code == HTTPStatus.NO_CONTENT
        purged = client.delete(reverse("trash-detail", kwargs={"pk": image_id}))
        assert purged.status_code == HTTPStatus.NO_CONTENT
    else:
        gone = client.post(reverse("users-me-delete"), {"password": DEFAULT_PASSWORD})
        assert gone.status_code == HTTPStatus.NO_CONTENT


class TestSharedFiles:
    def test_a_copy_references_the_sources_files_and_stores_nothing(
        self, user, other_user, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user)
        before = _stored()
        copy = _saved(other_client, user, photo.pk)
        assert _stored() == before
        assert copy.owner == other_user
        assert copy.status == Image.Status.READY
        assert copy.original_key == photo.original_key
        assert copy.thumbnail_key == photo.thumbnail_key
        assert copy.processed_key == photo.processed_key
        assert (copy.checksum, copy.size, copy.format) == (photo.checksum, photo.size, "JPEG")
        assert copy.metadata == photo.metadata
        assert not copy.live_photo_id and not copy.is_favorite
        expected = sum(files.file_stat(key=key).size for key in set(copy.storage_keys))
        assert copy.stored_bytes == expected
        assert image_storage_usage(owner=other_user)["bytes"] == expected
        held = set(StoredFileHolder.objects.values_list("key", "image_id"))
        assert held == {(key, i) for key in set(copy.storage_keys) for i in (photo.pk, copy.pk)}
        assert_storage_consistent()

    def test_over_quota_keeps_nothing(self, user, other_user, other_client, photo):
        _partner(user, other_user)
        other_user.quota_bytes = photo.size  # not the renditions as well
        other_user.save(update_fields=["quota_bytes"])
        before = _stored()
        response = _save(other_client, user, photo.pk)
        assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        assert response.json()["code"] == "quota_exceeded"
        assert not Image.objects.filter(owner=other_user).exists()
        assert not StoredFileHolder.objects.exists()
        assert _stored() == before

    def test_metadata_is_kept_back_where_the_saver_may_not_see_it(
        self, user, other_user, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user, metadata=False)
        copy = _saved(other_client, user, photo.pk)
        photo.refresh_from_db()
        assert copy.original_key == photo.stripped_key != photo.original_key
        assert copy.metadata == {} and copy.taken_at is None
        assert SECRET not in _served(other_client, copy.pk, "original")
        assert_storage_consistent()

    def test_without_originals_the_processed_rendition_is_the_copys_original(
        self, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user, originals=False, metadata=False)
        before = _stored()
        copy = _saved(other_client, user, photo.pk)
        assert _stored() == before
        assert copy.original_key == photo.processed_key
        assert copy.format == "JPEG"
        assert copy.size == files.file_stat(key=photo.processed_key).size
        assert copy.metadata == {}
        assert SECRET not in _served(other_client, copy.pk, "original")
        original = _served(other_client, copy.pk, "original")
        assert_storage_consistent()
        # Deleting the source keeps the processed file the copy has as its original.
        _delete_permanently(auth_client, photo.pk)
        assert _served(other_client, copy.pk, "original") == original
        assert_storage_consistent()


class TestDeletion:
    @pytest.mark.parametrize("how", ["permanent", "trash_purge", "account"])
    def test_the_source_going_keeps_the_copys_files(
        self, how, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user)
        copy = _saved(other_client, user, photo.pk)
        thumbnail = _served(other_client, copy.pk, "thumbnail")
        original = _served(other_client, copy.pk, "original")
        _delete_source(how, auth_client, photo.pk)
        assert not Image.objects.filter(pk=photo.pk).exists()
        assert set(copy.storage_keys) <= _stored()
        assert _served(other_client, copy.pk, "thumbnail") == thumbnail
        assert _served(other_client, copy.pk, "original") == original
        assert_storage_consistent()
        # The last to go takes the files.
        _delete_permanently(other_client, copy.pk)
        assert not set(copy.storage_keys) & _stored()
        assert not StoredFileHolder.objects.exists()
        assert_storage_consistent()

    def test_the_copy_going_first_keeps_the_sources_files(
        self, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user)
        thumbnail = _served(auth_client, photo.pk, "thumbnail")
        copy = _saved(other_client, user, photo.pk)
        _delete_permanently(other_client, copy.pk)
        assert set(photo.storage_keys) <= _stored()
        assert _served(auth_client, photo.pk, "thumbnail") == thumbnail
        assert_storage_consistent()
        _delete_permanently(auth_client, photo.pk)
        assert _stored() == set()
        assert_storage_consistent()

    def test_a_copy_of_a_copy_outlives_both(
        self, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user)
        third = UserFactory(username="carol")
        third_client = APIClient()
        third_client.force_authenticate(third)
        _partner(other_user, third)
        first = _saved(other_client, user, photo.pk)
        second = _saved(third_client, other_user, first.pk)
        assert second.original_key == photo.original_key
        thumbnail = _served(third_client, second.pk, "thumbnail")
        _delete_permanently(auth_client, photo.pk)
        _delete_permanently(other_client, first.pk)
        assert _served(third_client, second.pk, "thumbnail") == thumbnail
        assert_storage_consistent()
        _delete_permanently(third_client, second.pk)
        assert _stored() == set()
        assert_storage_consistent()


class TestRestyle:
    def test_a_restyled_copy_writes_its_own_renditions_and_keeps_the_sources(
        self, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user)
        thumbnail = _served(auth_client, photo.pk, "thumbnail")
        copy = _saved(other_client, user, photo.pk)
        restyled = other_client.patch(
            reverse("image-detail", kwargs={"pk": copy.pk}), {"style": "sepia"}, format="json"
        )
        assert restyled.status_code == HTTPStatus.OK, restyled.content
        _settled()
        copy.refresh_from_db()
        assert copy.rendered_style == "sepia"
        assert copy.thumbnail_key != photo.thumbnail_key
        assert copy.original_key == photo.original_key
        assert set(photo.storage_keys) <= _stored()
        assert _served(auth_client, photo.pk, "thumbnail") == thumbnail
        assert_storage_consistent()
        # The source gone, the copy keeps the original it shared and its own renditions.
        _delete_permanently(auth_client, photo.pk)
        assert set(copy.storage_keys) <= _stored()
        assert_storage_consistent()

    def test_a_restyled_source_keeps_the_copys_files(
        self, user, other_user, auth_client, other_client, photo, assert_storage_consistent
    ):
        _partner(user, other_user, originals=False, metadata=False)
        copy = _saved(other_client, user, photo.pk)
        thumbnail = _served(other_client, copy.pk, "thumbnail")
        original = _served(other_client, copy.pk, "original")
        restyled = auth_client.patch(
            reverse("image-detail", kwargs={"pk": photo.pk}), {"style": "sepia"}, format="json"
        )
        assert restyled.status_code == HTTPStatus.OK, restyled.content
        _settled()
        photo.refresh_from_db()
        assert photo.thumbnail_key != copy.thumbnail_key
        assert set(copy.storage_keys) <= _stored()
        assert _served(other_client, copy.pk, "thumbnail") == thumbnail
        assert _served(other_client, copy.pk, "original") == original
        assert_storage_consistent()
        # The copy's own restyle now lets go of the last hold on the old processed file it
        # keeps as its original: it stays, as that original.
        _delete_permanently(auth_client, photo.pk)
        again = other_client.patch(
            reverse("image-detail", kwargs={"pk": copy.pk}), {"style": "sepia"}, format="json"
        )
        assert again.status_code == HTTPStatus.OK, again.content
        _settled()
        assert _served(other_client, copy.pk, "original") == original
        assert_storage_consistent()


class TestAudit:
    def test_the_orphan_sweep_never_removes_a_held_file(self, photo):
        # A hold without a row naming the key (none is left so by the services): the sweep
        # still keeps the file, as ``files_delete`` would.
        key = files.file_store(
            key=f"{photo.owner_id}/{photo.pk}/held.jpg", content=ContentFile(b"held")
        )
        StoredFileHolder.objects.create(key=key, image=photo)
        report = audit.storage_audit(storage=default_storage)
        assert key in report.orphans
        result = audit.orphans_remove(storage=default_storage, report=report, min_age=timedelta(0))
        assert key not in result.removed
        assert files.file_exists(key=key)
        StoredFileHolder.objects.filter(key=key).delete()
        files.files_delete(keys=[key])
        assert not files.file_exists(key=key)


@pytest.mark.postgres
class TestSaveRaces:
    @pytest.fixture(autouse=True)
    def _postgres_only(self):
        if connection.vendor != "postgresql":
            pytest.skip("row-locking races are tested on PostgreSQL")

    def _clients(self, attempt: int, **saver_fields):
        owner, alice = _bearer(f"alice-{attempt}")
        saver, bob = _bearer(f"bob-{attempt}", **saver_fields)
        response = upload_request(owner, _camera_photo((attempt * 40 % 256, 9, 9)), name="a.jpg")
        assert response.status_code == HTTPStatus.CREATED, response.content
        _settled()
        _partner(alice, bob)
        return owner, alice, saver, bob, response.json()["id"]

    @pytest.mark.parametrize("attempt", range(3))
    def test_a_save_racing_the_sources_deletion(self, attempt, assert_storage_consistent):
        owner, alice, saver, bob, image_id = self._clients(attempt)
        saved, _ = in_parallel(
            lambda: _save(saver, alice, image_id),
            lambda: _delete_permanently(owner, image_id),
        )
        assert saved.status_code in (HTTPStatus.CREATED, HTTPStatus.NOT_FOUND), saved.content
        copies = list(Image.objects.filter(owner=bob))
        assert len(copies) == (1 if saved.status_code == HTTPStatus.CREATED else 0)
        for copy in copies:
            assert set(copy.storage_keys) <= _stored()
            assert _served(saver, copy.pk, "thumbnail")
        assert_storage_consistent()

    @pytest.mark.parametrize("attempt", range(3))
    def test_a_save_racing_the_sources_restyle(self, attempt, assert_storage_consistent):
        owner, alice, saver, bob, image_id = self._clients(attempt)
        url = reverse("image-detail", kwargs={"pk": image_id})
        saved, restyled = in_parallel(
            lambda: _save(saver, alice, image_id),
            lambda: owner.patch(url, {"style": "sepia"}, format="json"),
        )
        assert saved.status_code == HTTPStatus.CREATED, saved.content
        assert restyled.status_code == HTTPStatus.OK, restyled.content
        _settled()
        copy = Image.objects.get(owner=bob)
        assert set(copy.storage_keys) <= _stored()
        assert_storage_consistent()
        owner.delete(url + "?permanent=true")
        assert set(copy.storage_keys) <= _stored()
        assert_storage_consistent()

    @pytest.mark.parametrize("attempt", range(3))
    def test_two_saves_make_two_copies_of_the_same_files(self, attempt, assert_storage_consistent):
        owner, alice, saver, bob, image_id = self._clients(attempt)
        first, second = in_parallel(
            lambda: _save(saver, alice, image_id), lambda: _save(saver, alice, image_id)
        )
        assert first.status_code == second.status_code == HTTPStatus.CREATED
        one, two = Image.objects.filter(owner=bob)
        assert set(one.storage_keys) == set(two.storage_keys)
        _delete_permanently(owner, image_id)
        _delete_permanently(saver, one.pk)
        assert set(two.storage_keys) <= _stored()
        assert_storage_consistent()
        _delete_permanently(saver, two.pk)
        assert_storage_consistent()


def _bearer(username: str, **fields) -> tuple[APIClient, object]:
    user = UserFactory(username=username, **fields)
    token = (
        APIClient()
        .post(reverse("auth-token"), {"username": username, "password": DEFAULT_PASSWORD})
        .json()["access"]
    )
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, user
