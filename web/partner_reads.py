"""The partner pages' reads (issue 20, item 4): the partnerships, the gallery with partners'
pictures mixed in, and one partner's picture, each as the API shows it.

As ``web.reads`` does for the owner's pages: the API's selectors, filters, paginations and
serializers, the page's request handed over read-only. Who is a partner in which library and
what they see of it is the access policy's alone (``access.partner_principal``,
``access.partner_principals``, ``access.images_visible`` of each ``Partner``,
``access.access_check``); a partner's picture is written by the API's own
``partner_image_body``, with the partner's signed URLs and nothing its owner keeps back.

The mixed gallery follows the API's ``images/?include_partners=true``
(``images.partners.gallery``): one query over the caller's live pictures OR each accepted
partner's, in the gallery's order and cursor, the partnerships read once per page; a filter
about the caller's own pictures (``album``, ``is_favorite=true``) lists no partner's.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from rest_framework.exceptions import NotFound as ApiNotFound

from images import access, selectors
from images.filters import ImageFilter
from images.models import Image
from images.partners.selectors import partnerships_of
from images.partners.serializers import PartnershipSerializer, partner_image_body
from images.serializers import ImageSerializer
from web import reads

# What the page's toggle sends; the API's parameter (``images.partners.gallery``).
INCLUDE_PARTNERS = "include_partners"
# Filters about the caller's own pictures: with one of them no partner's picture is listed.
OWN_ONLY_FILTERS = ("album",)


def include_partners(params: Mapping[str, str]) -> bool:
    """Whether the page asks for partners' pictures: ``true`` or ``false`` (absent: false);
    anything else is ``ListRefused``, as the API answers it 400."""
    value = params.get(INCLUDE_PARTNERS)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise reads.ListRefused()
    return value == "true"


def partnerships_read(*, request: HttpRequest, cursor: str | None, size: int) -> reads.Page:
    """The partnerships the caller grants and those granted to them, newest first, as the
    API's ``partners/`` lists them (``direction``, ``account``, ``status``, settings)."""
    user = reads.owner_principal(request).user
    page = _paginate(
        reads.KeysetPages(cursor=cursor, size=size), partnerships_of(user=user), request=request
    )
    context = {"request": request, "user": user}
    results = PartnershipSerializer(page.rows, many=True, context=context).data
    return reads.Page(results=list(results), next=page.next, previous=page.previous)


def gallery_with_partners_read(
    *,
    request: HttpRequest,
    filters: Mapping[str, str],
    ordering: str | None,
    cursor: str | None,
    size: int,
) -> reads.Page:
    """One page of the caller's gallery with their accepted partners' pictures, each marked
    (``partner``: null for one's own), as ``images/?include_partners=true`` pages it.
    ``ListRefused`` and ``Http404`` as ``reads.image_page_read`` raises them."""
    owner = reads.owner_principal(request)
    own = _filtered(
        request,
        selectors.images_live(access.images_visible(principal=owner)),
        {key: filters[key] for key in reads.IMAGE_FILTERS if key in filters},
    )
    partners = {
        partner.partnership.grantor_id: partner
        for partner in access.partner_principals(user=owner.user)
    }
    combined = own
    own_only = any(filters.get(name) for name in OWN_ONLY_FILTERS)
    if not own_only and filters.get("is_favorite") != "true":
        # A partner's pictures are never the caller's favourites: "false" lists them all.
        shared = {key: filters[key] for key in ("style",) if key in filters}
        for partner in partners.values():
            combined = combined | _filtered(
                request, access.images_visible(principal=partner), shared
            )
    page = _paginate(
        reads.KeysetPages(cursor=cursor, size=size, ordering=reads.image_ordering(ordering)),
        selectors.image_fields_for_listing(combined),
        request=request,
    )
    context: dict[str, Any] = {"request": request}
    results = [
        partner_image_body(
            image=image, partner=partners[image.owner_id], request=request, cache=context
        )
        if image.owner_id in partners
        else dict(ImageSerializer(image, context=context).data)
        for image in page.rows
    ]
    return reads.Page(results=results, next=page.next, previous=page.previous)


def partner_image_read(
    *, request: HttpRequest, grantor_id: uuid.UUID, image_id: uuid.UUID
) -> dict[str, Any]:
    """One picture of ``grantor_id``'s library as the API's partner detail shows it to the
    caller; ``Http404`` where the caller is not that library's accepted partner or the
    picture is not in what it shares (trashed, locked, before ``since``, missing)."""
    user = reads.owner_principal(request).user
    partner = access.partner_principal(user=user, grantor_id=grantor_id)
    if partner is None:
        raise Http404()
    image = access.images_visible(principal=partner).filter(pk=image_id).first()
    if image is None:
        raise Http404()
    access.access_check(principal=partner, action=access.Action.IMAGE_VIEW, target=image)
    return partner_image_body(image=image, partner=partner, request=request, cache={})


def _filtered(request: HttpRequest, images: QuerySet[Image], data: dict[str, str]) -> QuerySet:
    """``images`` narrowed by the API's ``ImageFilter`` (400: ``ListRefused``; an album not
    the caller's: ``Http404``)."""
    filterset = ImageFilter(data=data, queryset=images, request=request)
    if not filterset.is_valid():
        raise reads.ListRefused()
    try:
        return filterset.qs
    except ApiNotFound as exc:
        raise Http404() from exc


@dataclass(frozen=True)
class _Rows:
    rows: list[Any]
    next: str | None
    previous: str | None


def _paginate(paginator: reads.GivenCursor, queryset: QuerySet, *, request: HttpRequest) -> _Rows:
    """``paginator``'s page of ``queryset``, links on the page's own address (as
    ``web.reads`` pages); a cursor the pagination refuses is the page's 404."""
    try:
        rows = paginator.paginate_queryset(queryset, request)  # type: ignore[arg-type]
    except ApiNotFound as exc:
        raise Http404() from exc
    return _Rows(
        rows=list(rows or []),
        next=paginator.get_next_link(),
        previous=paginator.get_previous_link(),
    )
