"""Partner sharing's pages (issue 20, item 4): /partners/ and a partner's picture.

/partners/ lists the partnerships the account grants (to whom, since when, whether originals
and camera details are shown, pending or accepted) and those granted to it, with the forms
that offer, change, accept and end them. /partners/<grantor>/i/<id>/ shows one picture of a
partner's library, large, with "Save to my gallery". Every change is the page's script
posting to the API (``partners/``, ``partner-libraries/…/save/``), the one path every client
takes, so its answers (an unknown account, oneself, already partners, too many offers) are
the API's own words.

Who sees what is decided by the access policy through ``web.partner_reads``: a partner
picture's page of someone who is not the caller's accepted partner (pending, ended, a
stranger), or of a picture the partnership does not share (trashed, locked, taken before
``since``), is the one 404 page, exactly like a missing one; anonymous callers are sent to
log in. The gallery's toggle (``?include_partners=true``) is ``web.views.gallery``'s, with
the tiles made here (``partner_tile``).
"""

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime

from web import partner_reads
from web.pages import read_only_page
from web.present import alt_text, local_path, photo_facts, query_string, ratio_class, taken_display

# Partnerships on the page (its "More" link pages on): an account has a handful.
PARTNERSHIPS_PAGE_SIZE = 100
# What a partner picture's page keeps of the gallery it was opened from, for the way back.
BACK_PARAMS = ("style", "ordering")


@read_only_page
def partners(request: HttpRequest) -> HttpResponse:
    page = partner_reads.partnerships_read(
        request=request, cursor=request.GET.get("cursor") or None, size=PARTNERSHIPS_PAGE_SIZE
    )
    rows = [_partnership(item) for item in page.results]
    return render(
        request,
        "web/partners.html",
        {
            "granted": [row for row in rows if row["direction"] == "granted"],
            "received": [row for row in rows if row["direction"] == "received"],
            "next_url": local_path(page.next),
        },
    )


@read_only_page
def partner_image(request: HttpRequest, grantor_id: uuid.UUID, image_id: uuid.UUID) -> HttpResponse:
    data = partner_reads.partner_image_read(
        request=request, grantor_id=grantor_id, image_id=image_id
    )
    urls = data["urls"]
    back = {key: request.GET[key] for key in BACK_PARAMS if request.GET.get(key)}
    return render(
        request,
        "web/partner_image.html",
        {
            "data": data,
            "alt": alt_text(data),
            "partner_name": data["partner"]["display_name"],
            "preview_url": urls.get("preview") or urls.get("processed") or urls.get("thumbnail"),
            "full_url": urls.get("processed") or urls.get("preview"),
            "created_at": parse_datetime(data["created_at"]),
            "taken": taken_display(data),
            "metadata": photo_facts(data.get("metadata") or {}),
            "back": reverse("home") + query_string({**back, "include_partners": "true"}),
            "save_url": reverse(
                "partner-image-save", kwargs={"grantor_id": grantor_id, "image_id": image_id}
            ),
        },
    )


def partner_tile(data: dict[str, Any], suffix: str = "") -> dict[str, Any]:
    """What a tile (``web/_tile.html``) shows of a partner's picture in the gallery: it opens
    the picture's partner page and is marked with the partner's name (``partner``)."""
    urls = data["urls"]
    return {
        "id": data["id"],
        "alt": alt_text(data),
        "url": reverse(
            "partner-picture",
            kwargs={"grantor_id": data["partner"]["id"], "image_id": data["id"]},
        )
        + suffix,
        "thumbnail": urls.get("thumbnail"),
        "preview": urls.get("preview"),
        "processed": urls.get("processed"),
        "placeholder": data.get("placeholder", ""),
        "kind": data.get("kind", "photo"),
        "duration": data.get("duration"),
        "width": data["width"],
        "height": data["height"],
        "ratio": ratio_class(data["width"], data["height"]),
        "status": data["status"],
        "is_favorite": False,
        "style": data["style"],
        "title": data["title"],
        "partner": data["partner"]["display_name"],
        "timeline_at": data.get("timeline_at"),  # the timeline's headers (issue 22, item 1)
    }


def _partnership(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "since_date": parse_date(item["since"]) if item["since"] else None,
        "accepted_at": parse_datetime(item["accepted_at"]) if item["accepted_at"] else None,
    }
