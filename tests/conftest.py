"""Shared fixtures: accounts, API clients, a private media root and a storage audit."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from images.audit import empty_folders, referenced_files, stored_files
from tests.factories import DEFAULT_PASSWORD, UserFactory, image_bytes
from users.models import User

# The real-broker fixture (``broker``) for the render-job tests.
pytest_plugins = ["tests.celery_broker"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test writes files into its own temporary media root."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing is deliberately slow; tests check behaviour, not hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db) -> User:
    return UserFactory(username="alice")


@pytest.fixture
def other_user(db) -> User:
    return UserFactory(username="mallory")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def _client_for(user: User) -> APIClient:
    client = APIClient()
    response = client.post(
        reverse("auth-token"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


@pytest.fixture
def auth_client(user: User) -> APIClient:
    """A client logged in as ``user`` with a real JWT from the token endpoint."""
    return _client_for(user)


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    """A client logged in as ``other_user``."""
    return _client_for(other_user)


@pytest.fixture
def upload(auth_client: APIClient) -> Callable[..., dict]:
    """Uploads an image as ``user`` through the API and returns the response body."""

    def _upload(
        data: bytes | None = None,
        name: str = "photo.jpg",
        style: str = "none",
        title: str = "",
        client: APIClient | None = None,
    ) -> dict:
        payload = {
            "file": SimpleUploadedFile(name, data if data is not None else image_bytes()),
            "style": style,
            "title": title,
        }
        response = (client or auth_client).post(reverse("image-list"), payload, format="multipart")
        assert response.status_code == 201, response.content
        return response.json()

    return _upload


def field_errors(body: dict) -> dict:
    """An error body's field errors, without the ``detail`` and ``code`` every error has."""
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    return {key: value for key, value in body.items() if key not in ("detail", "code")}


@pytest.fixture
def assert_storage_consistent(media_root: Path) -> Callable[[], None]:
    """The storage audit: exactly the files the database references, and no empty folders."""

    def _check() -> None:
        assert stored_files(media_root) == referenced_files()
        assert empty_folders(media_root) == set()

    return _check
