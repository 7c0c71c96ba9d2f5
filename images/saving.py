"""Save to my library: a copy of a picture someone shares with the caller, as their own.

Shared by the two ways one account sees another's pictures, an album's member and a partner:
the principal's own answers (``images.access``) decide what may be copied, so the copy is
never more than the caller could download. The copy goes through the upload pipeline
(``lifecycle.image_create``): the caller's quota is checked under their lock before a byte is
kept, a refusal keeps nothing, and the copy is the caller's from then on (their trash, their
deletion). The bytes are stored again: no file is shared between two accounts' pictures, so
deleting either never touches the other (de-duplicating them needs reference-counted files).
"""

from django.core.files import File

from images import access, delivery, files, lifecycle, shares
from images.errors import RenditionNotReady
from images.models import Image
from imaging.styles import DEFAULT_STYLE


def image_save_copy(*, principal: access.Member | access.Partner, image: Image) -> Image:
    """A new image of ``principal.user``'s made from what they may download of ``image``:
    the original where they may have it (without its metadata unless they may see that
    too; a video's playback file then, as a video's metadata cannot be stripped in place),
    else the processed rendition, kept as it looks (not styled twice)."""
    access.access_check(principal=principal, action=access.Action.IMAGE_SAVE, target=image)
    key, rendition, style = _save_source(principal, image)
    name = delivery.download_filename(image, rendition, key, visitor=True)
    try:
        source = files.file_open(key=key)
    except FileNotFoundError:
        # Deleted by its owner between the read and now: as missing as it now is.
        raise access.AccessRefused() from None
    with source:
        return lifecycle.image_create(
            owner=principal.user,
            upload=File(source, name=name),
            style=style,
            title=image.title,
            filename=name,
        )


def _save_source(principal: access.Member | access.Partner, image: Image) -> tuple[str, str, str]:
    """The storage key, the rendition and the style of what a save copies."""
    original = access.access_allows(
        principal=principal,
        action=access.Action.ORIGINAL_DOWNLOAD,
        target=access.Rendition(image=image, name=access.ORIGINAL),
    )
    if original and image.original_key:
        if access.access_allows(
            principal=principal, action=access.Action.METADATA_VIEW, target=image
        ):
            return image.original_key, access.ORIGINAL, image.style
        if image.kind == Image.Kind.PHOTO:
            return shares.share_original_stripped_key(image=image), access.ORIGINAL, image.style
        if image.playback_key:
            return image.playback_key, "video", DEFAULT_STYLE
    if not image.processed_key:
        raise RenditionNotReady(image=image, rendition="processed")
    return image.processed_key, "processed", DEFAULT_STYLE
