"""Account endpoints: register, log in with JWT, refresh, log out, and the caller's profile."""

from datetime import UTC, datetime
from http import HTTPStatus

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from core.schema import THROTTLED, UNAUTHENTICATED, field_errors
from core.throttling import RegisterRateThrottle
from users import services
from users.authentication import request_user
from users.forms import LoginForm
from users.models import User
from users.serializers import (
    AccountDeleteSerializer,
    ElevationSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    ReauthSerializer,
    RefreshInputSerializer,
    RegisterSerializer,
    TokenObtainPairSerializer,
    TokenPairSerializer,
)


class RegisterView(APIView):
    """Creates an account."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(
        operation_id="auth_register",
        summary="Register an account",
        description="Creates an account. Usernames and emails are unique in any letter case; "
        "the password must pass the server's password rules.",
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: RegisterSerializer, 400: field_errors(), 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(RegisterSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(TokenObtainPairView):
    """Exchanges a username and password for an access and a refresh token.

    Failed logins are limited in the authentication backend (``users.backends``), shared
    with every other login form; a locked username or address is a 429 from there.
    """

    def get_serializer_class(self) -> type[TokenObtainPairSerializer]:
        return TokenObtainPairSerializer

    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Log in",
        description="Returns a short-lived access token and a refresh token. Repeated failed "
        "attempts for one username or from one address are refused with 429 for a while.",
        tags=["auth"],
        responses={
            200: TokenPairSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().post(request, *args, **kwargs)


class ReauthView(APIView):
    """Gives the password again for an elevation: a few minutes of the locked folder."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_reauth",
        summary="Give my password again",
        description="Returns an elevation, valid for ATELIER_ELEVATION_SECONDS (300 s by "
        "default): send it in the `X-Atelier-Elevation` header to open the locked folder "
        "(`locked/`) and to take pictures out of it. Bound to the account and its current "
        "password (a password change ends it). A wrong password is a 400 with code "
        "`password_incorrect` and counts as a failed login: repeated wrong ones are refused "
        "with 429 for a while, as logins are.",
        tags=["auth"],
        request=ReauthSerializer,
        responses={
            200: ElevationSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ReauthSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, expires = services.user_elevate(
            user=request_user(request),
            password=serializer.validated_data["password"],
            request=request,
        )
        body = {"elevation": token, "expires_at": datetime.fromtimestamp(expires, tz=UTC)}
        return Response(ElevationSerializer(body).data)


class BrowserLoginView(DjangoLoginView):
    """The browsable API's login page, under the same failed-login limits as the API.

    A locked account or address is answered 429 with ``Retry-After``, the form showing why.
    """

    authentication_form = LoginForm
    template_name = "rest_framework/login.html"

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if isinstance(form, LoginForm) and form.locked_wait is not None:
            response.status_code = HTTPStatus.TOO_MANY_REQUESTS
            response["Retry-After"] = str(int(form.locked_wait))
        return response


class TokenEndpoint(APIView):
    """Base for endpoints that take a token in the body instead of a header.

    A rejected token is a 401 with a ``WWW-Authenticate`` challenge; without this, DRF turns
    an authentication failure on a view with no authenticators into a 403.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenRefreshView(TokenEndpoint):
    """Rotates a refresh token: returns a new pair and retires the old refresh token."""

    @extend_schema(
        operation_id="auth_token_refresh",
        summary="Refresh tokens",
        description="Returns a new access and refresh token. The refresh token sent is "
        "retired: sending it again answers 401.",
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 400: field_errors(), 401: UNAUTHENTICATED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.token_refresh(raw=serializer.validated_data["refresh"])
        return Response(pair)


class LogoutView(TokenEndpoint):
    """Retires a refresh token so it can no longer be used."""

    @extend_schema(
        operation_id="auth_logout",
        summary="Log out",
        description="Blacklists the refresh token. Access tokens already issued expire on "
        "their own within minutes.",
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={
            204: OpenApiResponse(description="Logged out."),
            400: field_errors(),
            401: UNAUTHENTICATED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_blacklist(raw=serializer.validated_data["refresh"])
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(tags=["account"])
class MeViewSet(viewsets.GenericViewSet):
    """The caller's own account: read it, change its email or password, delete it."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get_object(self) -> User | AnonymousUser:
        return self.request.user

    @extend_schema(
        operation_id="me_retrieve",
        summary="Get my account",
        description="The caller's account, with storage usage and quotas.",
        responses={200: MeSerializer, 401: UNAUTHENTICATED},
    )
    def retrieve(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_update",
        summary="Update my account",
        description="Changes the caller's email address.",
        responses={200: MeSerializer, 400: field_errors(), 401: UNAUTHENTICATED},
    )
    def partial_update(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "email" in serializer.validated_data:
            services.user_update(
                user=request_user(request), email=serializer.validated_data["email"]
            )
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_delete",
        summary="Delete my account",
        description="Deletes the account with every image, album, share link and file it owns. "
        "Cannot be undone. Needs the account's current password (an access token alone is not "
        "enough); a wrong one is a 400 on `password` and counts as a failed login, so repeated "
        "wrong ones are refused with 429 for a while.",
        request=AccountDeleteSerializer,
        responses={
            204: OpenApiResponse(description="Deleted."),
            400: field_errors(),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def delete_account(self, request: Request) -> Response:
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete_confirmed(
            user=request_user(request),
            password=serializer.validated_data["password"],
            request=request,
        )
        return Response(status=HTTPStatus.NO_CONTENT)

    @extend_schema(
        operation_id="me_password_change",
        summary="Change my password",
        description="Changes the password and revokes every token issued before; returns a "
        "fresh token pair so this client stays logged in.",
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer, 400: field_errors(), 401: UNAUTHENTICATED},
    )
    def password(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        pair = services.user_password_change(
            user=request_user(request), new_password=serializer.validated_data["new_password"]
        )
        # Keep a browsable-API session alive across its own password change.
        if request.session.session_key:
            update_session_auth_hash(request._request, request_user(request))
        return Response(pair)
