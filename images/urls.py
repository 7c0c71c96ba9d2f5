"""URLs for galleries, albums, the trash and share links, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.activity_views import (
    AlbumActivityView,
    AlbumCommentDetailView,
    AlbumCommentsView,
    AlbumImageLikeView,
)
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
    # Shared albums: their activity, comments and likes (issue 20).
    path(
        "shared-albums/<uuid:album_id>/activity/",
        AlbumActivityView.as_view(),
        name="shared-album-activity",
    ),
    path(
        "shared-albums/<uuid:album_id>/comments/",
        AlbumCommentsView.as_view(),
        name="shared-album-comments",
    ),
    path(
        "shared-albums/<uuid:album_id>/comments/<uuid:pk>/",
        AlbumCommentDetailView.as_view(),
        name="shared-album-comment-detail",
    ),
    path(
        "shared-albums/<uuid:album_id>/images/<uuid:image_id>/like/",
        AlbumImageLikeView.as_view(),
        name="shared-album-image-like",
    ),
    *router.urls,
]
