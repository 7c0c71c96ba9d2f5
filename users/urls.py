"""URLs for accounts, mounted under /api/v1/."""

from django.urls import path

from users.views import (
    LoginView,
    LogoutView,
    MeViewSet,
    ReauthView,
    RegisterView,
    TokenRefreshView,
)

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", LoginView.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/reauth/", ReauthView.as_view(), name="auth-reauth"),
    path(
        "users/me/",
        MeViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="users-me",
    ),
    # A POST with the password, not a DELETE: a body on DELETE has no defined meaning (RFC
    # 9110), so schema generators and SDKs drop it, and some proxies and clients too.
    path("users/me/delete/", MeViewSet.as_view({"post": "delete_account"}), name="users-me-delete"),
    path("users/me/password/", MeViewSet.as_view({"post": "password"}), name="users-me-password"),
]
