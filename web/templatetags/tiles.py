"""The tile's media in templates: ``{% with media=image|tile_media %}`` (``web.present``)."""

from typing import Any

from django import template
from django.conf import settings

from web import present

register = template.Library()


@register.filter
def tile_media(data: dict[str, Any]) -> dict[str, Any]:
    """``web.present.tile_media``: srcset, sizes, placeholder and video badge of a tile."""
    return present.tile_media(data)


@register.simple_tag
def rendition_edge(name: str) -> int:
    """A rendition size setting (``ATELIER[name]``, e.g. ``PREVIEW_EDGE``), for ``gallery.js``
    to size the tiles it adds as the server sizes its own."""
    return int(settings.ATELIER[name])
