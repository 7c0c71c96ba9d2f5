"""What the members API reads and answers: an album's members, an account's invitations and
the albums shared with it, each showing only what its reader may know."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictFieldsMixin
from images.fields import StrictCharField
from images.models import AlbumMember
from users.models import User

__all__ = [
    "MEMBER_STATUS_CHOICES",
    "AlbumSharedWithMeSerializer",
    "InvitationSerializer",
    "MemberAccountSerializer",
    "MemberCreateSerializer",
    "MemberSerializer",
    "MemberUpdateSerializer",
    "MembershipSerializer",
]

_ROLE_HELP = (
    "`viewer` sees the album; `contributor` also adds their own pictures; `editor` also "
    "removes anyone's and changes the title, description and cover."
)


class MemberAccountSerializer(serializers.Serializer):
    """Another account, as the people it shares an album with see it."""

    id = serializers.UUIDField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.SerializerMethodField(help_text="The full name, or the username.")

    def get_display_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class InvitationAlbumSerializer(serializers.Serializer):
    """An album as its invitee sees it before accepting: its id and title, nothing else."""

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)


# An invitation is pending until its invitee accepts it; then it is a membership.
MEMBER_STATUS_CHOICES = [("pending", "Pending"), ("accepted", "Accepted")]
_STATUS_FIELD = serializers.ChoiceField(
    choices=MEMBER_STATUS_CHOICES, help_text="`pending` until the invitation is accepted."
)


def _status(member: AlbumMember) -> str:
    return "pending" if member.accepted_at is None else "accepted"


class MemberSerializer(serializers.ModelSerializer):
    """A member of the album, or an account invited to it (``status`` pending)."""

    user = MemberAccountSerializer(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = AlbumMember
        fields = ["id", "user", "role", "status", "invited_at", "accepted_at"]
        read_only_fields = fields

    @extend_schema_field(_STATUS_FIELD)
    def get_status(self, member: AlbumMember) -> str:
        return _status(member)


class MemberCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """An invitation: who (a username or an email) and in which role."""

    user = StrictCharField(
        max_length=254, help_text="The account's username or email, in any letter case."
    )
    role = serializers.ChoiceField(choices=AlbumMember.Role.choices, help_text=_ROLE_HELP)


class MemberUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A member's (or an invitation's) new role."""

    role = serializers.ChoiceField(choices=AlbumMember.Role.choices, help_text=_ROLE_HELP)


class InvitationSerializer(serializers.ModelSerializer):
    """One of the caller's pending invitations: the album's title and who invited them."""

    album = InvitationAlbumSerializer(read_only=True)
    invited_by = MemberAccountSerializer(source="album.owner", read_only=True)

    class Meta:
        model = AlbumMember
        fields = ["id", "album", "invited_by", "role", "invited_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """The caller's membership of an album, once accepted."""

    album = InvitationAlbumSerializer(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = AlbumMember
        fields = ["id", "album", "role", "status", "invited_at", "accepted_at"]
        read_only_fields = fields

    @extend_schema_field(_STATUS_FIELD)
    def get_status(self, member: AlbumMember) -> str:
        return _status(member)


class AlbumSharedWithMeSerializer(serializers.Serializer):
    """An album another account shares with the caller, and the caller's place in it."""

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    owner = MemberAccountSerializer(read_only=True)
    role = serializers.ChoiceField(
        choices=AlbumMember.Role.choices, read_only=True, help_text="The caller's role."
    )
    image_count = serializers.IntegerField(
        read_only=True, help_text="The album's pictures its members see (none in the trash)."
    )
    joined_at = serializers.DateTimeField(
        read_only=True, help_text="When the caller accepted the invitation."
    )
