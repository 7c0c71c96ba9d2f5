"""What wraps every page, the owner's and a share's: the strict CSP and the page a missing
thing gets; for the owner's pages, the login they need and the methods they answer."""

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe

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


# An owner's page: strict CSP, and the web's own 404 page (below) for anything not found.
page = page_with_missing(lambda request: not_found_page(request))


def private_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page of the caller's own gallery: anonymous callers are sent to log in."""
    return page(login_required(view))


def read_only_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A private page that only shows: any other method is a 405 naming GET and HEAD (its
    changes go to the API, from its forms)."""
    return private_page(require_safe(view))


def not_found_page(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=HTTPStatus.NOT_FOUND)


not_found = strict_csp(not_found_page)


@strict_csp
def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=HTTPStatus.INTERNAL_SERVER_ERROR)
