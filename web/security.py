"""The web pages' Content-Security-Policy: scripts, styles and images from this server only
(and images the page carries in itself, as `data:` URIs: the tiles' placeholders).

No page has inline script or style, so the policy needs no ``'unsafe-inline'``, nonce or
hash; data reaches the scripts through ``data-*`` attributes and the API's JSON. The API's
own pages (the docs, the browsable API) keep their headers: the policy is set per view.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Images the pages make themselves: a tile's ThumbHash placeholder is a PNG in a ``data:``
# URI (``web.present.placeholder_uri``, and ``gallery.js`` for the tiles it adds). An image
# runs no script, so ``data:`` for images alone opens nothing a page's script could use.
PAGE_IMAGE_SOURCES = ("data:",)


def content_security_policy() -> str:
    """The policy every web page is served with (``ATELIER_WEB_CSP`` in the settings, with
    ``PAGE_IMAGE_SOURCES`` added to ``img-src``).

    A video plays from wherever the pictures come from. Where that is this server alone, no
    ``media-src`` is needed (``default-src 'self'`` covers it); where ``img-src`` also names
    the S3 endpoint (the file endpoints redirect there), ``media-src`` gets the same sources,
    unless the settings name their own.
    """
    directives = list(settings.ATELIER_WEB_CSP)
    sources = dict(directives)
    images = sources.get("img-src", [])
    if "media-src" not in sources and set(images) - set(sources.get("default-src", [])):
        directives.append(("media-src", list(images)))
    directives = [
        (name, [*values, *(s for s in PAGE_IMAGE_SOURCES if s not in values)])
        if name == "img-src"
        else (name, values)
        for name, values in directives
    ]
    return "; ".join(f"{directive} {' '.join(values)}" for directive, values in directives)


def strict_csp(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serves the view's responses (pages, files, redirects) with the web pages' policy."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy()
        return response

    return wrapped
