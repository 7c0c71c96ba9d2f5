"""What wraps every page, the owner's and a share's: the strict CSP and the page a missing
thing gets."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase

from core.errors import NotFound
from web.security import strict_csp


def page_with_missing(
    missing: Callable[[HttpRequest], HttpResponse],
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A page decorator: strict CSP, and ``missing`` answers anything not found.

    Another account's object and a missing one are the same 404 (never a 403), as in the
    API, whatever ``DEBUG`` says.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @strict_csp
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except (Http404, NotFound):
                return missing(request)

        return wrapped

    return decorator
