"""URLs for galleries, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from images.views import ImageViewSet, StyleListView

router = SimpleRouter()
router.register("images", ImageViewSet, basename="image")

urlpatterns = [
    path("styles/", StyleListView.as_view(), name="style-list"),
    *router.urls,
]
