"""Resumable uploads: the tus 1.0 protocol, for files too large to send in one request.

An upload is created with its length, receives its bytes in PATCHes that may stop anywhere
and resume from the offset the server reports, and becomes an image (``images``) when its
last byte arrives. Depends on ``images`` and ``users``; neither knows about it.
"""
