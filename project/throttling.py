"""Rate limits: the client address we trust, windows like ``10/15m``, and failed-login counting.

DRF's stock ``get_ident`` believes ``X-Forwarded-For`` when no proxy count is configured, which
lets any client pick its own address and dodge an IP limit. Here the client address is the
socket's, unless ``ATELIER_CLIENT_IP_HEADER`` names the header a trusted proxy sets.
"""

import hashlib
import re
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

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
    """Limits uploads per user; only the upload (POST) is counted."""

    scope = "upload"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginFailureThrottle(RateThrottle):
    """Refuses logins once a username or an address has too many recent failures.

    Only failures count (``login_failure_record``), so a user who types the password right
    is never slowed down; but once the limit is reached, even the right password gets 429
    until the window passes, or guessing would simply continue.
    """

    scopes = ("login_username", "login_ip")

    def __init__(self) -> None:
        self.wait_seconds: float = 0.0

    def allow_request(self, request: Request, view: object) -> bool:
        now = time.time()
        self.wait_seconds = 0.0
        for key, limit, window in _login_keys(request):
            history = [t for t in cache.get(key, []) if t > now - window]
            if len(history) >= limit:
                self.wait_seconds = max(self.wait_seconds, history[0] + window - now)
        return self.wait_seconds == 0.0

    def wait(self) -> float:
        return max(self.wait_seconds, 1.0)


def login_failure_record(request: Request) -> None:
    """Counts one failed login against the username tried and the client address."""
    now = time.time()
    for key, _limit, window in _login_keys(request):
        history = [t for t in cache.get(key, []) if t > now - window]
        history.append(now)
        cache.set(key, history, window)


def _login_keys(request: Request) -> list[tuple[str, int, int]]:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    keys = []
    data = request.data if isinstance(request.data, Mapping) else {}
    username = str(data.get("username", "")).strip().lower()
    idents = {"login_username": username, "login_ip": client_ip(request)}
    for scope, ident in idents.items():
        limit, window = parse_rate(rates.get(scope))
        if ident and limit is not None and window is not None:
            digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
            keys.append((f"throttle_{scope}_{digest}", limit, window))
    return keys
