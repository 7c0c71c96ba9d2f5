"""The caller's gallery with their partners' pictures mixed in (``?include_partners=true``).

A path of its own, taken only by the gallery's list when the caller asks: the owned viewset's
scope (``core.ownership``) stays the caller's own for every other action and for the list
without the flag. The page is one query over the caller's live pictures (their scope,
``access.images_visible`` of the ``Owner``) OR each accepted partner's (the scope of each
``Partner``), in the gallery's order and cursor; the partnerships are read once per page,
so a page costs the same queries whatever the number of partners. Each picture is marked
(``partner``), and a partner's has the partner's signed URLs and keeps back what its owner
does not show (``images.partners.serializers``).

The list's filters hold for a partner's pictures as far as they are the caller's to ask:
by style, status and dates, and search by title. ``checksum``, ``is_favorite=true``,
``album`` and the place filters (``country_code``, ``region``, ``city``, ``has_location``)
ask about the caller's own pictures (a partner's checksum, file name or whereabouts would say
what the partner may not show), so with any of them no partner's picture is listed.
"""

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from images import access, selectors
from images.filters import BoundedSearchFilter, ImageFilter, StrictOrderingFilter
from images.models import Image
from images.partners.serializers import GalleryImageSerializer, partner_image_body
from users.authentication import request_user

INCLUDE_PARTNERS_PARAM = "include_partners"
# Filters about the caller's own pictures only (see the module docstring).
_OWN_ONLY_FILTERS = ("checksum", "album", "country_code", "region", "city", "has_location")


def include_partners_requested(request: Request) -> bool:
    """Whether the list asks for partners' pictures: ``true`` or ``false`` (absent: false);
    anything else, empty included, is a 400 naming the parameter."""
    value = request.query_params.get(INCLUDE_PARTNERS_PARAM)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise ValidationError({INCLUDE_PARTNERS_PARAM: ["`true` or `false`."]})
    return value == "true"


def gallery_list(*, view: Any, request: Request) -> Response:
    """One page of the caller's gallery with their partners' pictures, each marked."""
    user = request_user(request)
    own = view.filter_queryset(
        selectors.images_live(access.images_visible(principal=access.Owner(user=user)))
    )
    partners = {
        partner.partnership.grantor_id: partner for partner in access.partner_principals(user=user)
    }
    combined = own
    for partner in partners.values():
        combined = combined | _partner_filtered(
            request, access.images_visible(principal=partner), view
        )
    combined = selectors.image_fields_for_listing(
        StrictOrderingFilter().filter_queryset(request, combined, view)
    )
    page = view.paginate_queryset(combined) or []
    return view.get_paginated_response(
        mixed_bodies(page=page, partners=partners, view=view, request=request)
    )


def mixed_bodies(
    *, page: list[Image], partners: dict[Any, access.Partner], view: Any, request: Request
) -> list[dict[str, Any]]:
    """A page mixing the caller's pictures and their partners' (``partners`` by grantor id),
    each in the gallery's shape and a partner's marked: the gallery's and search's alike."""
    user = request_user(request)
    context = view.get_serializer_context()
    return [
        GalleryImageSerializer(image, context=context).data
        if image.owner_id == user.pk
        else partner_image_body(
            image=image, partner=partners[image.owner_id], request=request, cache=context
        )
        for image in page
    ]


def _partner_filtered(request: Request, images: QuerySet[Image], view: Any) -> QuerySet[Image]:
    params = request.query_params
    if any(params.get(name) for name in _OWN_ONLY_FILTERS) or params.get("is_favorite") == "true":
        return images.none()
    data = {key: value for key, value in params.items() if key in ImageFilter.base_filters}
    for name in (*_OWN_ONLY_FILTERS, "is_favorite"):
        data.pop(name, None)
    images = ImageFilter(data=data, queryset=images, request=request).qs
    terms = BoundedSearchFilter().get_search_terms(request)
    if terms:
        condition = Q()
        for term in terms:
            condition &= Q(title__icontains=term)
        images = images.filter(condition)
    return images


__all__ = [
    "INCLUDE_PARTNERS_PARAM",
    "gallery_list",
    "include_partners_requested",
    "mixed_bodies",
]
