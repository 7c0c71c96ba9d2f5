"""The header's names, the key's shape and the times idempotency runs by.

A module of its own so that the errors, the services and the decorator share them without
importing one another.
"""

import re
from datetime import timedelta

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII; no space at either end, since HTTP trims a header value's ends anyway.
KEY_PATTERN = r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$"
KEY_RE = re.compile(KEY_PATTERN)
# How long a key holds its answer: a retry a day later is a new request.
KEY_TTL = timedelta(hours=24)
# A claim still in progress this long has lost its process (see the module docstring).
CLAIM_STALE_AFTER = timedelta(minutes=5)
# How long a request waits for the first one with its key, and how often it looks.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1
RETRY_AFTER_SECONDS = 1
# Unchanged since the module lived in ``project``: stored fingerprints stay comparable.
FINGERPRINT_SALT = "project.idempotency.request_fingerprint"
