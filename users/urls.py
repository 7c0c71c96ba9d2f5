"""URLs for accounts, mounted under /api/v1/."""

from django.urls import path

from users.views import LoginView, LogoutView, MeViewSet, RegisterView, TokenRefreshView

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", LoginView.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path(
        "users/me/",
        MeViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="users-me",
    ),
    path("users/me/password/", MeViewSet.as_view({"post": "password"}), name="users-me-password"),
]
