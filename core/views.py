"""The API's front door: ``/api/v1/`` lists where everything is; ReDoc's script, served whole."""

import functools

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

_LINKS = {
    "images": "image-list",
    "styles": "style-list",
    "register": "auth-register",
    "token": "auth-token",
    "token_refresh": "auth-token-refresh",
    "logout": "auth-logout",
    "me": "users-me",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


class ApiRootView(APIView):
    """Lists the API's resources, its schema and its docs, as absolute URLs."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        summary="Where everything is",
        description="Links to the resources, the OpenAPI schema and the interactive docs.",
        tags=["meta"],
        responses={
            200: inline_serializer("ApiRoot", {name: serializers.URLField() for name in _LINKS})
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {name: request.build_absolute_uri(reverse(url)) for name, url in _LINKS.items()}
        )


# ReDoc's sidebar shows Redocly's logo from their CDN, with no option to leave it out; the page's
# policy refused the request (a console error on every visit). "data:," is no image: the logo's
# own error handler then drops it, and its "API docs by Redocly" link stays.
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"


@functools.cache
def _redoc_bundle() -> bytes:
    path = finders.find(REDOC_BUNDLE)
    if path is None:
        raise FileNotFoundError(REDOC_BUNDLE)
    with open(path, "rb") as bundle:
        return bundle.read().replace(REDOC_CDN_LOGO.encode(), b"data:,")


@require_safe
@cache_control(public=True, max_age=3600)
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    """The sidecar's ReDoc bundle, asking no other host for anything."""
    return HttpResponse(_redoc_bundle(), content_type="text/javascript; charset=utf-8")
