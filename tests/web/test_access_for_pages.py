"""What the access policy (``images.access``) adds for the web's pages: the owner's share
links as a scope (``shares_visible``), and the one thing of a trashed image its owner may see
(``Action.TRASH_THUMBNAIL_VIEW``: its thumbnail, on the trash page).

The pages' own behaviour under these is tested through their URLs (``test_pages.py``'s trash
and share-link pages); these pin the policy's answers for every kind of caller.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.grants import Grant
from images import access
from images.models import Image, Share

pytestmark = pytest.mark.django_db

TRASH = access.Action.TRASH_THUMBNAIL_VIEW


@pytest.fixture
def pictures(auth_client, upload) -> dict:
    """The owner's live picture, a trashed one, and a link to the live one."""
    live, trashed = upload(title="live"), upload(title="trashed")
    auth_client.delete(reverse("image-detail", kwargs={"pk": trashed["id"]}))
    link = auth_client.post(reverse("share-list"), {"image_ids": [live["id"]]}, format="json")
    return {
        "live": Image.objects.get(pk=live["id"]),
        "trashed": Image.objects.get(pk=trashed["id"]),
        "share": Share.objects.get(pk=link.json()["id"]),
    }


def test_an_owner_sees_their_own_share_links_and_no_one_else_does(pictures, user, other_user):
    share = pictures["share"]
    assert list(access.shares_visible(principal=access.Owner(user=user))) == [share]
    assert not access.shares_visible(principal=access.Owner(user=other_user)).exists()
    visitor = access.ShareVisitor(share=share, unlocked=True)
    assert not access.shares_visible(principal=visitor).exists()
    assert not access.shares_visible(principal=None).exists()


def test_a_trashed_picture_s_thumbnail_is_its_owner_s_alone(pictures, user, other_user):
    trashed, live = pictures["trashed"], pictures["live"]
    assert trashed.trashed_at is not None and live.trashed_at is None

    def allows(principal, image, name="thumbnail", action=TRASH) -> bool:
        target = access.Rendition(image=image, name=name)
        return access.access_allows(principal=principal, action=action, target=target)

    owner = access.Owner(user=user)
    assert allows(owner, trashed)
    # Only the thumbnail, only in the trash, only by this action: the rest stays as it was.
    for name in ("processed", "preview", "original"):
        assert not allows(owner, trashed, name), name
    assert not allows(owner, live)
    assert not allows(owner, trashed, action=access.Action.RENDITION_VIEW)
    assert not access.access_allows(principal=owner, action=TRASH, target=trashed)
    # Nobody else: another account, the owner's signed URL, a link's visitor.
    assert not allows(access.Owner(user=other_user), trashed)
    grant = Grant(
        owner_id=user.pk,
        object_id=trashed.pk,
        actions=frozenset({"thumbnail"}),
        expires=int(timezone.now().timestamp()) + 60,
    )
    assert not allows(access.SignedGrant(user=user, grant=grant), trashed)
    visitor = access.ShareVisitor(share=pictures["share"], unlocked=True)
    assert not allows(visitor, trashed)
    with pytest.raises(access.AccessRefused):
        access.access_check(
            principal=access.Owner(user=other_user),
            action=TRASH,
            target=access.Rendition(image=trashed, name="thumbnail"),
        )
