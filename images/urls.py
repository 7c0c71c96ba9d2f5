"""URLs for galleries, albums, the trash and share links, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.partners.views import (
    PARTNER_RENDITION_VIEWS,
    PartnerLibraryImageDetailView,
    PartnerLibraryImageListView,
    PartnershipViewSet,
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
# Partner sharing (issue 20, item 4): the partnerships, and a partner's library.
router.register("partners", PartnershipViewSet, basename="partner")

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
    # Partner sharing (issue 20, item 4): a partner's library and its files.
    path(
        "partner-libraries/<uuid:grantor_id>/images/",
        PartnerLibraryImageListView.as_view(),
        name="partner-image-list",
    ),
    path(
        "partner-libraries/<uuid:grantor_id>/images/<uuid:image_id>/",
        PartnerLibraryImageDetailView.as_view(),
        name="partner-image-detail",
    ),
    *(
        path(
            f"partner-libraries/<uuid:grantor_id>/images/<uuid:image_id>/{name}/",
            view.as_view(),
            name=f"partner-image-{name}",
        )
        for name, view in PARTNER_RENDITION_VIEWS.items()
    ),
    *router.urls,
]
