"""URLs for galleries, albums, the trash and share links, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.activity_views import (
    AlbumActivityView,
    AlbumCommentDetailView,
    AlbumCommentsView,
    AlbumImageLikeView,
)
from images.locked_views import ImagesLockView, ImagesUnlockView, LockedViewSet
from images.members.views import (
    AlbumMemberViewSet,
    InvitationViewSet,
    SharedAlbumLeaveView,
    SharedAlbumListView,
)
from images.partners.views import (
    PARTNER_RENDITION_VIEWS,
    PartnerLibraryImageDetailView,
    PartnerLibraryImageListView,
    PartnerLibraryImageSaveView,
    PartnershipViewSet,
)
from images.place_views import PlaceClusterView, PlaceListView
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
from images.search.views import SearchViewSet
from images.share_views import ShareViewSet
from images.timeline.views import TimelineViewSet
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
# Partner sharing (issue 20, item 4): the partnerships, and a partner's library.
router.register("partners", PartnershipViewSet, basename="partner")
# The timeline (issue 22, item 1): its buckets and "on this day".
router.register("timeline", TimelineViewSet, basename="timeline")
# One search box (issue 22, item 2).
router.register("search", SearchViewSet, basename="search")

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
    # Places (issue 22, item 3): where the caller's pictures were taken, and a map's clusters.
    path("places/", PlaceListView.as_view(), name="place-list"),
    path("places/clusters/", PlaceClusterView.as_view(), name="place-clusters"),
    # Album members and invitations (issue 20): the owner's side, the invitee's, and the
    # albums shared with the caller (the member's own album routes sit beside these).
    path(
        "albums/<uuid:album_id>/members/",
        AlbumMemberViewSet.as_view({"get": "list", "post": "create"}),
        name="album-member-list",
    ),
    path(
        "albums/<uuid:album_id>/members/<uuid:member_id>/",
        AlbumMemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="album-member-detail",
    ),
    path("invitations/", InvitationViewSet.as_view({"get": "list"}), name="invitation-list"),
    path(
        "invitations/<uuid:pk>/accept/",
        InvitationViewSet.as_view({"post": "accept"}),
        name="invitation-accept",
    ),
    path(
        "invitations/<uuid:pk>/decline/",
        InvitationViewSet.as_view({"post": "decline"}),
        name="invitation-decline",
    ),
    path("shared-albums/", SharedAlbumListView.as_view(), name="shared-album-list"),
    path(
        "shared-albums/<uuid:album_id>/leave/",
        SharedAlbumLeaveView.as_view(),
        name="shared-album-leave",
    ),
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
    *LOCKED_URLS,  # locked folder
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
    path(
        "partner-libraries/<uuid:grantor_id>/images/<uuid:image_id>/save/",
        PartnerLibraryImageSaveView.as_view(),
        name="partner-image-save",
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
