"""URLs for galleries, albums, the trash and share links, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.public.views import (
    SharedDetailView,
    SharedMotionView,
    SharedOriginalView,
    SharedPreviewView,
    SharedProcessedView,
    SharedThumbnailView,
    SharedUnlockView,
    SharedVideoView,
)
from images.share_views import ShareViewSet
from images.together.views import (
    RENDITION_VIEWS,
    SharedAlbumImageSaveView,
    SharedAlbumImagesRemoveView,
    SharedAlbumImagesView,
    SharedAlbumImageView,
    SharedAlbumView,
)
from images.views import AlbumViewSet, ImageViewSet, StyleListView, TrashViewSet

router = SimpleRouter()
router.register("images", ImageViewSet, basename="image")
router.register("albums", AlbumViewSet, basename="album")
router.register("trash", TrashViewSet, basename="trash")
router.register("shares", ShareViewSet, basename="share")

# A share link's token: ``secrets.token_urlsafe(32)``, 43 URL-safe characters.
_SHARE = "<str:token>"

urlpatterns = [
    path("styles/", StyleListView.as_view(), name="style-list"),
    path(f"shared/{_SHARE}/", SharedDetailView.as_view(), name="shared-detail"),
    path(f"shared/{_SHARE}/unlock/", SharedUnlockView.as_view(), name="shared-unlock"),
    *(
        path(
            f"shared/{_SHARE}/images/<uuid:image_id>/{view.rendition}/",
            view.as_view(),
            name=f"shared-{view.rendition}",
        )
        for view in (
            SharedProcessedView,
            SharedPreviewView,
            SharedThumbnailView,
            SharedOriginalView,
            SharedVideoView,
            SharedMotionView,
        )
    ),
    # Inside an album shared between accounts (issue 20: the album view, helper albumview).
    path("shared-albums/<uuid:album_id>/", SharedAlbumView.as_view(), name="shared-album-detail"),
    path(
        "shared-albums/<uuid:album_id>/images/",
        SharedAlbumImagesView.as_view(),
        name="shared-album-images",
    ),
    path(
        "shared-albums/<uuid:album_id>/images/remove/",
        SharedAlbumImagesRemoveView.as_view(),
        name="shared-album-images-remove",
    ),
    path(
        "shared-albums/<uuid:album_id>/images/<uuid:image_id>/",
        SharedAlbumImageView.as_view(),
        name="shared-album-image-detail",
    ),
    path(
        "shared-albums/<uuid:album_id>/images/<uuid:image_id>/save/",
        SharedAlbumImageSaveView.as_view(),
        name="shared-album-image-save",
    ),
    *(
        path(
            f"shared-albums/<uuid:album_id>/images/<uuid:image_id>/{view.rendition}/",
            view.as_view(),
            name=f"shared-album-image-{view.rendition}",
        )
        for view in RENDITION_VIEWS
    ),
    *router.urls,
]
