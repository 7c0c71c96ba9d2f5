"""An album shared between accounts, from the inside: what its owner and members see and do.

Apart from the owner's API (``images.views``) and a link's public side (``images.public``):
every request here is an account acting inside one album (``access.Member``, read afresh
from the membership on every request), and every decision is the access policy's.
"""
