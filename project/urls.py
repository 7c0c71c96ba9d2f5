"""Top-level routing: the web app at /, the versioned API, its schema and docs, the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from core.metrics import metrics_view
from core.readiness import healthz, readyz
from core.views import ApiRootView, redoc_bundle
from users.forms import AdminLoginForm
from users.views import BrowserLoginView

_READ_ONLY = ["get", "head"]

api_v1: list[URLPattern | URLResolver] = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("users.urls")),
    path("", include("images.urls")),
    path("", include("resumable.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs pages are HTML templates for GET alone; OPTIONS has no template to render.
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=_READ_ONLY),
        name="swagger-ui",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="schema", http_method_names=_READ_ONLY),
        name="redoc",
    ),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Ahead of DRF's own login page, which has no failed-login limit.
    path("api-auth/login/", BrowserLoginView.as_view(), name="browser-login"),
    path("api-auth/", include("rest_framework.urls")),
    # Last: the web app's pages for people (the gallery is "home").
    path("", include("web.urls")),
]

# Pages outside the API answer with the web app's own pages (the API's are JSON regardless).
handler404 = "web.pages.not_found"
handler500 = "web.pages.server_error"

# The admin is mounted only where it is wanted (ATELIER_ADMIN_URL); its login form shares the
# failed-login limits with every other.
if settings.ATELIER_ADMIN_URL:
    admin.site.login_form = AdminLoginForm
    urlpatterns.append(path(settings.ATELIER_ADMIN_URL, admin.site.urls))
