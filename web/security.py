"""The web pages' Content-Security-Policy: scripts, styles and images from this server only.

No page has inline script or style, so the policy needs no ``'unsafe-inline'``, nonce or
hash; data reaches the scripts through ``data-*`` attributes and the API's JSON. The API's
own pages (the docs, the browsable API) keep their headers: the policy is set per view.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def content_security_policy() -> str:
    """The policy every web page is served with (``ATELIER_WEB_CSP`` in the settings)."""
    return "; ".join(
        f"{directive} {' '.join(sources)}" for directive, sources in settings.ATELIER_WEB_CSP
    )


def strict_csp(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serves the view's responses (pages, files, redirects) with the web pages' policy."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy()
        return response

    return wrapped
