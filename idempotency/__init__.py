"""Safe retries: the ``Idempotency-Key`` header, its claims and the answers they keep.

An app of its own because it owns a table (``IdempotencyKey``); it knows accounts (a key
belongs to one) and nothing of images or pages. ``decorators.idempotent`` goes on a view's
create method; ``services`` claims, completes, releases and purges keys.
"""
