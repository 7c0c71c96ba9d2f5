"""A share link's public side: the endpoints whoever holds a link's token reaches.

Apart from the owner's API (``images.views``, ``images.serializers``) so that neither is read
for the other: nothing here reads an account's credentials, and every decision about what a
visitor may see or fetch is the access policy's (``images.access``).
"""
