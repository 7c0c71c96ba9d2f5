"""URLs for galleries, albums, the trash and share links, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.locked_views import ImagesLockView, ImagesUnlockView, LockedViewSet
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

# --- Locked folder (issue 20, part 6): before the router, whose images/{pk}/ would match.
locked_router = SimpleRouter()
locked_router.register("locked", LockedViewSet, basename="locked")
LOCKED_URLS = [
    path("images/lock/", ImagesLockView.as_view(), name="images-lock"),
    path("images/unlock/", ImagesUnlockView.as_view(), name="images-unlock"),
    *locked_router.urls,
]
# --- end locked folder

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
    *LOCKED_URLS,  # locked folder
    *router.urls,
]
