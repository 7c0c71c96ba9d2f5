"""An album's members and invitations: the owner invites accounts in a role, an invitee
accepts or declines, a member leaves; and the albums shared with the caller.

A package of its own (services, selectors, serializers, schema, views) over the
``AlbumMember`` table, so the owner's album API stays as it was. Who may do what is the
access policy's (``images.access``): these modules ask it and decide nothing themselves.
"""
