"""The nav's count of invitations waiting for an answer (shared albums, issue 20)."""

from typing import Any

from django import template

from web import together_reads

register = template.Library()


@register.simple_tag
def pending_invitations(user: Any) -> int:
    """How many invitations to shared albums wait for ``user``'s answer (one query)."""
    return together_reads.invitations_pending_count(user=user)
