"""The one base for viewsets over owned objects: scoping to the caller is not optional.

Every viewset over something a user owns (images, the trash, albums, share links) derives from
``OwnerScopedViewSet``. Its ``get_queryset`` is the only way such a viewset reads: it starts
from the model's rows *of the caller* (the owner a request's credentials name, narrowed
further by whatever grant they carry, e.g. one image for a signed URL) and only then lets the
subclass narrow that through ``safely_get_queryset``. A subclass that defines
``get_queryset`` or ``get_object`` fails when its module is imported (PostHog's routing guard
is the model), so forgetting the filter is not a mistake anyone can make quietly. The escape
hatch, should one ever be needed, says what it is: ``dangerously_get_queryset``.
"""

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from rest_framework import viewsets

from core.grants import Grant

_GUARDED = ("get_queryset", "get_object")


class OwnerScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose every queryset holds only the caller's own objects."""

    model: ClassVar[type[Model]]
    # The field that names an object's owner.
    owner_field: ClassVar[str] = "owner"
    # Actions that read with the list's filters, search and ordering; detail actions ignore
    # them (a stray ``?ordering=bogus`` must not turn a download into a 400).
    list_actions: ClassVar[tuple[str, ...]] = ("list",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _GUARDED:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__qualname__} defines {name}(); owned viewsets must not. Narrow the "
                    "caller's queryset in safely_get_queryset() instead."
                )

    def dangerously_get_queryset(self) -> QuerySet:
        """Every row of the model, of every owner. Never return this to a caller."""
        return self.model._default_manager.all()

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        """Narrows (never widens) the caller's own objects; override to select or filter."""
        return queryset

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return self.model._default_manager.none()
        if not (self.request.user and self.request.user.is_authenticated):
            return self.model._default_manager.none()
        narrowed = self.safely_get_queryset(self._caller_scope(self.dangerously_get_queryset()))
        # Scoped again after the hook: even a hook that returned a fresh, unscoped queryset
        # cannot widen what the caller sees.
        return self._caller_scope(narrowed)

    def _caller_scope(self, queryset: QuerySet) -> QuerySet:
        """The caller's own rows: its owner's, and within a grant only the granted object."""
        scoped = queryset.filter(**{self.owner_field: self.request.user})
        grant = self.request.auth
        if isinstance(grant, Grant):
            scoped = scoped.filter(pk=grant.object_id)
        return scoped

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action not in self.list_actions:
            return queryset
        return super().filter_queryset(queryset)
