"""The API's front door: ``/api/v1/`` lists where everything is, ``/`` points at the docs."""

from django.urls import reverse
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
