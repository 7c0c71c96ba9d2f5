"""The project's own system checks, run by ``manage.py check`` (``--deploy`` ones only there).

Django's deploy checks cannot know how this server is reached. Behind a reverse proxy, every
request's socket address is the proxy's: unless ``ATELIER_CLIENT_IP_HEADER`` names the header
the proxy puts the client's address in, every caller is one address (``127.0.0.1`` for a proxy
on the same host), so ``/metrics`` answers everyone and one attacker's failed logins lock every
account's login by address. Production must therefore say which it is: a header's name, or an
empty value for a server that clients reach directly.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

CLIENT_IP_HEADER_UNSET = "atelier.W001"


@register(Tags.security, deploy=True)
def client_ip_header_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warns while ``ATELIER_CLIENT_IP_HEADER`` is unset (an empty value is an answer)."""
    if settings.ATELIER_CLIENT_IP_HEADER is not None:
        return []
    return [
        CheckWarning(
            "ATELIER_CLIENT_IP_HEADER is not set: behind a reverse proxy every client has the "
            "proxy's address, so /metrics is open to all and one client's failed logins lock "
            "everyone's.",
            hint="Behind a proxy, set it to the header the proxy writes the client's address "
            "to (e.g. HTTP_X_REAL_IP); if clients reach this server directly, set it empty "
            "(ATELIER_CLIENT_IP_HEADER=).",
            id=CLIENT_IP_HEADER_UNSET,
        )
    ]
