"""Routes of the tus endpoints, under /api/v1/uploads/ (each method mapped by hand: HEAD and
PATCH are the protocol's, not a router's)."""

from django.urls import path

from resumable.views import ResumableUploadViewSet

upload_list = ResumableUploadViewSet.as_view({"post": "create", "options": "discover"})
upload_detail = ResumableUploadViewSet.as_view(
    {
        "get": "retrieve",
        "head": "offset",
        "patch": "append",
        "delete": "destroy",
        "options": "discover",
    }
)

urlpatterns = [
    path("uploads/", upload_list, name="upload-list"),
    path("uploads/<uuid:pk>/", upload_detail, name="upload-detail"),
]
