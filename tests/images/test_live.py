"""Live Photo pairing (``images.live``): a photo and its clip become one item, either order.

Rows and files are made directly (as the two render jobs leave them: ready, with their
renditions and, for the clip, its playable MP4), the identifiers read from the real files by
``imaging.motion``. Halves of two owners never pair, nor trashed or still rendering ones; a
pair is made once, also when both halves land at once on PostgreSQL (real threads). The
storage audit is clean after each.
"""

import pytest
from django.db import connection

from images import files, live
from images.lifecycle import images_delete
from images.models import Album, AlbumImage, Image, Share, ShareImage
from images.selectors import image_storage_usage
from tests.factories import UserFactory
from tests.live_factories import LIVE_ID, STILL, clip, make_clip, make_photo, stored
from tests.parallel import in_parallel


def assert_paired(photo: Image, clip_row: Image) -> Image:
    """The photo now carries the clip's original and playable MP4; the clip row is gone."""
    current = Image.objects.get(pk=photo.pk)
    assert not Image.objects.filter(pk=clip_row.pk).exists()
    assert current.kind == Image.Kind.PHOTO
    assert current.motion_original_key == clip_row.original_key
    assert current.motion_key == clip_row.playback_key
    assert files.file_read(key=current.motion_original_key) == clip("mov", LIVE_ID)
    assert files.file_read(key=current.motion_key) == clip()
    assert current.stored_bytes == photo.stored_bytes + clip_row.size + len(clip())
    assert live.live_motion_bytes(image=current) == clip_row.size + len(clip())
    return current


@pytest.fixture
def pair(django_capture_on_commit_callbacks):
    """``live_photo_pair`` with its after-commit file deletions run, as a commit would."""

    def run(image: Image) -> Image:
        with django_capture_on_commit_callbacks(execute=True):
            return live.live_photo_pair(image=image)

    return run


@pytest.mark.django_db
class TestLivePhotoPair:
    def test_the_identifiers_read_from_both_halves_match(self, pair, media_root):
        owner = UserFactory()
        assert make_photo(owner).live_photo_id == make_clip(owner).live_photo_id == LIVE_ID

    def test_a_photo_landing_after_its_clip_absorbs_it(
        self, pair, media_root, assert_storage_consistent
    ):
        owner = UserFactory()
        clip_row = make_clip(owner)
        photo = make_photo(owner)
        before = image_storage_usage(owner=owner)

        paired = pair(image=photo)

        assert paired.pk == photo.pk
        assert_paired(photo, clip_row)
        after = image_storage_usage(owner=owner)
        # The clip's original and playable MP4 moved; only its three stills were freed.
        assert after == {"bytes": before["bytes"] - 3 * len(STILL), "images": 1}
        assert_storage_consistent()

    def test_a_clip_landing_after_its_photo_becomes_its_motion(
        self, pair, media_root, assert_storage_consistent
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)

        paired = pair(image=clip_row)

        assert paired.pk == photo.pk  # the item the clip is now part of
        assert_paired(photo, clip_row)
        assert_storage_consistent()

    def test_a_half_still_rendering_pairs_when_it_lands(
        self, pair, media_root, assert_storage_consistent
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner, status=Image.Status.PENDING)

        assert pair(image=photo).motion_key == ""
        assert Image.objects.count() == 2

        Image.objects.filter(pk=clip_row.pk).update(status=Image.Status.READY)
        pair(image=Image.objects.get(pk=clip_row.pk))
        assert_paired(photo, clip_row)
        assert_storage_consistent()

    def test_halves_of_two_owners_never_pair(self, pair, media_root, assert_storage_consistent):
        photo = make_photo(UserFactory())
        clip_row = make_clip(UserFactory())  # the same identifier, someone else's clip

        assert pair(image=photo).motion_key == ""
        assert pair(image=clip_row).pk == clip_row.pk
        assert Image.objects.get(pk=photo.pk).motion_original_key == ""
        assert Image.objects.filter(pk=clip_row.pk).exists()
        assert_storage_consistent()

    def test_each_owner_pairs_only_their_own_halves(self, pair, media_root):
        alice, bob = UserFactory(), UserFactory()
        alices_photo = make_photo(alice)
        bobs_clip = make_clip(bob)
        bobs_photo = make_photo(bob)

        pair(image=alices_photo)  # Bob's clip is the only clip with this identifier
        assert Image.objects.get(pk=alices_photo.pk).motion_key == ""
        assert pair(image=bobs_clip).pk == bobs_photo.pk

        assert Image.objects.get(pk=bobs_photo.pk).motion_original_key == bobs_clip.original_key
        assert Image.objects.get(pk=alices_photo.pk).motion_original_key == ""

    @pytest.mark.parametrize("trashed", ["photo", "clip"])
    def test_a_trashed_half_never_pairs(self, pair, media_root, assert_storage_consistent, trashed):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)
        Image.objects.filter(pk=(photo if trashed == "photo" else clip_row).pk).update(
            trashed_at="2026-01-01T00:00:00Z"
        )

        pair(image=photo)
        pair(image=clip_row)

        assert Image.objects.count() == 2
        assert Image.objects.get(pk=photo.pk).motion_key == ""
        assert_storage_consistent()

    def test_different_identifiers_never_pair(self, pair, media_root):
        owner = UserFactory()
        photo = make_photo(owner)
        make_clip(owner, identifier="0F0F0F0F-0000-4000-8000-000000000001")

        assert pair(image=photo).motion_key == ""
        assert Image.objects.count() == 2

    def test_an_image_without_an_identifier_is_left_alone(self, pair, media_root):
        owner = UserFactory()
        photo = make_photo(owner, identifier="")
        assert photo.live_photo_id == ""
        assert pair(image=photo) is photo

    def test_a_second_clip_with_the_same_identifier_stays_a_video(
        self, pair, media_root, assert_storage_consistent
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        first = make_clip(owner)
        pair(image=first)
        second = make_clip(owner)

        assert pair(image=second).pk == second.pk
        pair(image=photo)
        assert Image.objects.get(pk=photo.pk).motion_original_key == first.original_key

        assert set(Image.objects.values_list("pk", "kind")) == {
            (photo.pk, Image.Kind.PHOTO),
            (second.pk, Image.Kind.VIDEO),
        }
        assert_storage_consistent()

    def test_pairing_again_changes_nothing(self, pair, media_root, assert_storage_consistent):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)
        pair(image=photo)
        paired = Image.objects.get(pk=photo.pk)

        assert pair(image=paired).stored_bytes == paired.stored_bytes
        assert pair(image=clip_row).pk == clip_row.pk  # its row is gone
        assert Image.objects.get(pk=photo.pk).stored_bytes == paired.stored_bytes
        assert_storage_consistent()

    def test_a_photo_that_already_moves_absorbs_no_clip(self, pair, media_root):
        owner = UserFactory()
        photo = make_photo(owner)
        photo.motion_key = stored(photo, "motion", "mp4", clip())  # a motion photo's clip
        photo.save()
        clip_row = make_clip(owner)

        assert pair(image=clip_row).pk == clip_row.pk
        assert Image.objects.count() == 2

    def test_the_clips_albums_and_shares_are_dropped_the_photos_kept(self, pair, media_root):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)
        album = Album.objects.create(owner=owner, title="Trip", cover=clip_row)
        AlbumImage.objects.create(album=album, image=photo)
        AlbumImage.objects.create(album=album, image=clip_row)
        share = Share.objects.create(owner=owner, token="t" * 43)
        ShareImage.objects.create(share=share, image=clip_row)
        ShareImage.objects.create(share=share, image=photo)

        pair(image=photo)

        album.refresh_from_db()
        assert album.cover is None
        assert list(album.images.values_list("pk", flat=True)) == [photo.pk]
        assert list(share.images.values_list("pk", flat=True)) == [photo.pk]

    def test_deleting_a_paired_photo_deletes_its_motion_files(
        self, pair, media_root, assert_storage_consistent, django_capture_on_commit_callbacks
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        make_clip(owner)
        pair(image=photo)
        keys = Image.objects.get(pk=photo.pk).storage_keys
        assert len(keys) == 6  # its original and stills, the clip's original and playable MP4
        assert all(files.file_exists(key=key) for key in keys)

        with django_capture_on_commit_callbacks(execute=True):
            assert images_delete(queryset=Image.objects.filter(pk=photo.pk)) == 1

        assert not any(files.file_exists(key=key) for key in keys)
        assert_storage_consistent()


@pytest.fixture
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-locking races are tested on PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgres_only")
class TestLivePhotoPairRaces:
    @pytest.mark.parametrize("try_", range(4))
    def test_both_halves_landing_at_once_pair_exactly_once(
        self, media_root, assert_storage_consistent, try_
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)

        results = in_parallel(
            lambda: live.live_photo_pair(image=photo),
            lambda: live.live_photo_pair(image=clip_row),
        )

        # Whoever came second found the pair made: both answer with the photo, or the
        # clip's own call found its row gone (then it answers with the clip as given).
        assert {result.pk for result in results} <= {photo.pk, clip_row.pk}
        assert_paired(photo, clip_row)
        assert Image.objects.count() == 1
        assert_storage_consistent()

    @pytest.mark.parametrize("try_", range(4))
    def test_a_pairing_racing_the_deletion_of_the_clip(
        self, media_root, assert_storage_consistent, try_
    ):
        owner = UserFactory()
        photo = make_photo(owner)
        clip_row = make_clip(owner)

        _, deleted = in_parallel(
            lambda: live.live_photo_pair(image=photo),
            lambda: images_delete(queryset=Image.objects.filter(pk=clip_row.pk)),
        )

        current = Image.objects.get(pk=photo.pk)
        if deleted:  # the deletion came first: nothing to pair with
            assert current.motion_key == "" and current.stored_bytes == photo.stored_bytes
        else:  # the pairing came first: the deletion found no clip
            assert_paired(photo, clip_row)
        assert_storage_consistent()
