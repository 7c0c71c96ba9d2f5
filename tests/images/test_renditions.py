"""The renditions a render writes (#18.17, #18.23): sizes, bytes counted, files replaced.

``thumbnail`` fills gallery rows at twice the pixel density: its SHORT edge is
``ATELIER_THUMBNAIL_EDGE`` (480), its long edge at most 3840, so a panorama stays a strip
rather than a postage stamp. ``preview`` fits a screen (long edge ``ATELIER_PREVIEW_EDGE``,
1440) for a picture's page. Neither is ever upscaled. Both are downscaled from the styled
pixels and stored like the processed rendition: counted in ``stored_bytes``, replaced on a
restyle (the old files removed), removed with the image. Uploads go through the API; the
files are read back from storage by the keys the row names.
"""

import io
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image as PILImage

from images.models import Image
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def stored_size(key: str) -> tuple[int, int]:
    with default_storage.open(key, "rb") as stored:
        return PILImage.open(io.BytesIO(stored.read())).size


def sizes(image_id: str) -> tuple[tuple[int, int], ...]:
    """The pixel sizes of the processed rendition, the preview and the thumbnail."""
    row = Image.objects.get(pk=image_id)
    return tuple(
        stored_size(key) for key in (row.processed_key, row.preview_key, row.thumbnail_key)
    )


@pytest.mark.parametrize(
    ("size", "processed", "preview", "thumbnail"),
    [
        # A 4:3 photo: the thumbnail's short edge is 480, the preview's long edge 1440.
        ((1600, 1200), (1600, 1200), (1440, 1080), (640, 480)),
        # Portrait: the same, on the other edges.
        ((1200, 1600), (1200, 1600), (1080, 1440), (480, 640)),
        # A 12000×1500 panorama: processed capped at 4096, the thumbnail a 3840×480 strip.
        ((12000, 1500), (4096, 512), (1440, 180), (3840, 480)),
        # Smaller than every rendition: nothing is upscaled.
        ((300, 200), (300, 200), (300, 200), (300, 200)),
    ],
)
def test_each_rendition_has_its_size_and_none_is_upscaled(
    upload, size, processed, preview, thumbnail
):
    image = upload(image_bytes("PNG", size=size), name="p.png", style="sepia")
    assert image["status"] == "ready"
    assert sizes(image["id"]) == (processed, preview, thumbnail)


def test_the_thumbnail_served_is_the_short_edge_one(auth_client, upload, settings):
    assert settings.ATELIER["THUMBNAIL_EDGE"] == 480
    image = upload(image_bytes(size=(2000, 1000)))
    response = auth_client.get(reverse("image-thumbnail", kwargs={"pk": image["id"]}))
    assert response.status_code == HTTPStatus.OK
    served = b"".join(response.streaming_content)
    assert PILImage.open(io.BytesIO(served)).size == (960, 480)


def test_the_preview_is_counted_replaced_on_restyle_and_removed_with_the_image(
    auth_client, upload, assert_storage_consistent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = upload(image_bytes(size=(2000, 1500)), style="none")
    row = Image.objects.get(pk=image["id"])
    assert row.preview_key
    assert row.stored_bytes == sum(default_storage.size(key) for key in row.storage_keys)
    assert_storage_consistent()

    with django_capture_on_commit_callbacks(execute=True):
        restyled = auth_client.patch(
            reverse("image-detail", kwargs={"pk": image["id"]}), {"style": "invert"}
        )
    assert restyled.status_code == HTTPStatus.OK
    after = Image.objects.get(pk=image["id"])
    assert after.status == "ready" and after.preview_key != row.preview_key
    assert not default_storage.exists(row.preview_key)
    assert after.stored_bytes == sum(default_storage.size(key) for key in after.storage_keys)
    assert_storage_consistent()

    with django_capture_on_commit_callbacks(execute=True):
        deleted = auth_client.delete(
            reverse("image-detail", kwargs={"pk": image["id"]}) + "?permanent=true"
        )
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert not default_storage.exists(after.preview_key)
    assert_storage_consistent()
