"""Accounts in the Django admin, with per-user quota overrides."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from users.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus the quota fields."""

    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Quotas", {"fields": ("quota_bytes", "quota_images")}),
    )
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
