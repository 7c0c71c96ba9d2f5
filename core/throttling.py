"""Rate limits: the client address we trust, windows like ``10/15m``, and wrong-password counts.

DRF's stock ``get_ident`` believes ``X-Forwarded-For`` when no proxy count is configured, which
lets any client pick its own address and dodge an IP limit. Here the client address is the
socket's, unless ``ATELIER_CLIENT_IP_HEADER`` names the header a trusted proxy sets.
"""

import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.names import canonical_name

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address: the trusted proxy header if configured, else the socket peer."""
    meta = request.META
    header = settings.ATELIER_CLIENT_IP_HEADER
    if header:
        value = meta.get(header, "")
        # A proxy appending to X-Forwarded-For puts the address it saw last.
        candidate = value.split(",")[-1].strip()
        if candidate:
            return candidate
    return meta.get("REMOTE_ADDR", "") or "unknown"


def parse_rate(rate: str | None) -> tuple[int | None, int | None]:
    """``"10/15m"`` → ``(10, 900)``; DRF's own parser only knows one unit per window."""
    if rate is None:
        return (None, None)
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"Invalid throttle rate {rate!r}; use e.g. '10/15m' or '60/h'.")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIOD_SECONDS[unit]


class RateThrottle(SimpleRateThrottle):
    """A scoped throttle with multi-unit windows and a trustworthy client address."""

    def get_rate(self) -> str | None:
        # Read live (not DRF's import-time copy) so an env or test override takes effect.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        return parse_rate(rate)

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class RegisterRateThrottle(RateThrottle):
    """Limits account registrations per client address."""

    scope = "register"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UploadRateThrottle(RateThrottle):
    """Limits renders per user: uploads (POST) and restyles (a PATCH with a style) together.

    A restyle decodes and renders the original again, the same work as an upload, so it
    draws on the same allowance.
    """

    scope = "upload"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not request.user.is_authenticated:
            return None
        renders = request.method == "POST" or (
            request.method == "PATCH"
            and isinstance(request.data, Mapping)
            and request.data.get("style") is not None
        )
        if not renders:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AlbumCommentRateThrottle(RateThrottle):
    """Limits comments per account, across every shared album (a flood in one album or in
    many draws on the same allowance)."""

    scope = "album_comment"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AlbumInviteRateThrottle(RateThrottle):
    """Limits album invitations per user, every attempt counted (accepted or refused).

    An invitation names an account by username or email, and its answer says whether one
    exists: at the same rate as registration (which tells the same), no faster.
    """

    scope = "album_invite"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginLocked(Exception):
    """Too many failed logins for this username or from this address; retry in ``wait`` s."""

    message = "Too many failed logins; try again in {wait} seconds."

    def __init__(self, wait: float) -> None:
        super().__init__(self.message.format(wait=int(wait)))
        self.wait = wait


class ShareUnlockLocked(LoginLocked):
    """Too many wrong passwords for a share link from this address; retry in ``wait`` s.

    Answered as a locked login is (a 429 with ``Retry-After``, or the form's error), but
    counted apart: a link's guesses never use up an address's logins, nor logins a link's.
    """

    message = "Too many wrong passwords for this link; try again in {wait} seconds."


@dataclass
class LoginAttempt:
    """One reserved try at a password; set ``succeeded`` so it is not counted as a failure."""

    keys: list[str]
    succeeded: bool = False


# A window is counted in slots: the failures of the last SLOTS + 1 slots are summed, which
# covers any window-long stretch ending now (a sliding window, to a slot's precision).
SLOTS = 15


@contextmanager
def login_attempt(request: HttpRequest | Request | None, username: str) -> Iterator[LoginAttempt]:
    """Reserves one try at a password for ``username`` from this client, or ``LoginLocked``.

    Every way to present a password (the token endpoint, the browser and admin login forms,
    a password change, an account deletion) goes through here, so they share one set of
    counters: per canonical username and per client address.
    """
    # The same fold as the account lookup, so no spelling of a name gets counters of its own.
    idents = {
        "login_username": canonical_name(username),
        "login_ip": client_ip(request) if request is not None else "",
    }
    with _attempt(_counter_keys(idents), LoginLocked) as attempt:
        yield attempt


@contextmanager
def share_unlock_attempt(request: HttpRequest | Request, share_id: str) -> Iterator[LoginAttempt]:
    """Reserves one try at a share link's password from this client, or ``ShareUnlockLocked``.

    Counted per (link, address) and per address across every link, in scopes of their own:
    never per link alone (wrong guesses from anyone would lock every visitor out) and never
    with logins (a link's guesses would lock the address out of its account).
    """
    address = client_ip(request)
    idents = {"share_unlock": f"{share_id}:{address}", "share_unlock_ip": address}
    with _attempt(_counter_keys(idents), ShareUnlockLocked) as attempt:
        yield attempt


@contextmanager
def _attempt(keys: list[tuple[str, int, int]], locked: type[LoginLocked]) -> Iterator[LoginAttempt]:
    """Reserves one try on every counter in ``keys`` (name, limit, window), or ``locked``.

    The window slides: no window-long stretch of time ever holds more checked failures than
    the limit. The try is reserved *before* the password is checked, with the cache's atomic
    ``incr`` (its result orders racing tries), so however many guesses arrive at once, at
    most the limit are ever checked; a correct password gives its reservation back, so only
    failures count. A try refused at the door writes nothing, so a flood of refused tries
    cannot push real counters out of a bounded cache.
    """
    now = time.time()
    plans = []
    for key, limit, window in keys:
        slot = window / SLOTS
        current = int(now // slot)
        names = {index: f"{key}:{index}" for index in range(current - SLOTS, current + 1)}
        counts = _slot_counts(names)
        if sum(counts.values()) >= limit:
            raise locked(_wait(counts, limit, slot, now))
        plans.append((names, current, limit, slot, window))
    reserved: list[str] = []
    for names, current, limit, slot, window in plans:
        name = names[current]
        cache.add(name, 0, int(window + 2 * slot) + 1)
        try:
            position = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, int(window + 2 * slot) + 1)
            position = 1
        reserved.append(name)
        counts = _slot_counts({i: n for i, n in names.items() if i != current})
        if sum(counts.values()) + position > limit:
            # Lost the race for the last places: give the reservations back, refuse.
            _counters_release(reserved)
            counts[current] = position
            raise locked(_wait(counts, limit, slot, now))
    attempt = LoginAttempt(keys=reserved)
    yield attempt
    if attempt.succeeded:
        _counters_release(reserved)


def _slot_counts(names: dict[int, str]) -> dict[int, int]:
    found = cache.get_many(list(names.values()))
    return {index: int(found.get(name, 0)) for index, name in names.items()}


def _wait(counts: dict[int, int], limit: int, slot: float, now: float) -> float:
    """Seconds until enough of the oldest slots have left the window to allow one more try."""
    remaining = sum(counts.values())
    for index in sorted(counts):
        remaining -= counts[index]
        if remaining < limit:
            return max(1.0, (index + SLOTS + 1) * slot - now)
    return 1.0


def _counters_release(keys: list[str]) -> None:
    for key in keys:
        with suppress(ValueError):  # the slot expired meanwhile
            cache.decr(key)


def _counter_keys(idents: dict[str, str]) -> list[tuple[str, int, int]]:
    """(cache key, limit, window) for each scope's identity; an empty identity counts nothing."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    keys = []
    for scope, ident in idents.items():
        limit, window = parse_rate(rates.get(scope))
        if ident and limit is not None and window is not None:
            digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            keys.append((f"throttle_{scope}_{digest}", limit, window))
    return keys
