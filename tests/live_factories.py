"""Files an iPhone and an Android phone write for photos that move, and rows made of them.

An Apple MakerNote built byte by byte (its content identifier at tag 0x0011), the EXIF that
carries it (written into JPEG by Pillow and into HEIC by pillow-heif), a tiny H.264 clip in
MP4 or MOV made by PyAV (with the QuickTime content identifier when asked), Google and
Samsung motion photos (a JPEG, its XMP or SEF declaration, a clip), and the rows and files
of a rendered Live Photo still and clip, as their render jobs leave them.
"""

import functools
import io
import struct
import uuid

import av
import pillow_heif
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from images import files
from images.models import Image
from imaging import motion
from tests.factories import image_bytes

LIVE_ID = "5C2F3C4E-1A2B-4C3D-8E9F-0123456789AB"


def apple_makernote(identifier: bytes, *, order: str = ">", count: int | None = None) -> bytes:
    """Apple's MakerNote: ``Apple iOS\\0``, version 1, byte order, an IFD (offsets from the
    MakerNote's start) whose tag 0x0011 is the content identifier, then the string."""
    mark = b"MM" if order == ">" else b"II"
    value = identifier + b"\x00"
    entries = [(0x0001, 9, 1, struct.pack(order + "i", 14))]  # a version, as iPhones write
    data_at = 14 + 2 + 12 * 2 + 4
    entries.append((0x0011, 2, len(value) if count is None else count, data_at))
    ifd = struct.pack(order + "H", len(entries))
    for tag, kind, number, field in entries:
        packed = field if isinstance(field, bytes) else struct.pack(order + "I", field)
        ifd += struct.pack(order + "HHI", tag, kind, number) + packed
    return motion.APPLE_MAKERNOTE_PREFIX + b"\x00\x01" + mark + ifd + bytes(4) + value


def exif_with(makernote: bytes) -> bytes:
    """EXIF (``Exif\\0\\0`` and a TIFF) whose Exif IFD holds ``makernote`` as tag 0x927C."""
    exif = PILImage.Exif()
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8769)[0x927C] = makernote
    return exif.tobytes()


def jpeg(*, exif: bytes | None = None, xmp: bytes | None = None) -> bytes:
    """A 64x48 JPEG with the EXIF and XMP given."""
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if exif is not None:
        options["exif"] = exif
    if xmp is not None:
        options["xmp"] = xmp
    PILImage.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def heic(*, exif: bytes) -> bytes:
    """A 64x48 HEIC with the EXIF given."""
    buffer = io.BytesIO()
    image = pillow_heif.from_pillow(PILImage.new("RGB", (64, 48), (20, 160, 90)))
    image.save(buffer, exif=exif, quality=40)
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def live_jpeg(identifier: str = LIVE_ID) -> bytes:
    """A Live Photo's still, as an iPhone set to "Most Compatible" writes it."""
    return jpeg(exif=exif_with(apple_makernote(identifier.encode())))


@functools.lru_cache(maxsize=8)
def clip(fmt: str = "mp4", identifier: str | None = None, *, location: bool = False) -> bytes:
    """A 5-frame 64x48 H.264 clip in ``fmt`` (``mp4`` or ``mov``), with the Live Photo
    identifier in its QuickTime metadata if given; ``location`` adds a place (ISO 6709) and
    a quarter turn of display rotation, as a phone held upright writes them."""
    buffer = io.BytesIO()
    options = {"movflags": "use_metadata_tags"} if identifier else {}
    with av.open(buffer, "w", format=fmt, options=options) as container:
        if identifier:
            container.metadata[motion.LIVE_PHOTO_VIDEO_KEY] = identifier
        if location:
            container.metadata["location"] = "+48.8577+002.2950/"
        stream = container.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if location:
            stream.set_display_rotation(90)
        for index in range(5):
            frame = av.VideoFrame.from_image(PILImage.new("RGB", (64, 48), (index * 40, 0, 0)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buffer.getvalue()


# --- Motion photos ---------------------------------------------------------------------


def google_xmp(attributes: str, body: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
        'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
        'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" '
        f"{attributes}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def micro_video(video: bytes, *, offset: int | None = None) -> bytes:
    """An older Google motion photo: ``GCamera:MicroVideoOffset`` counts from the file's end."""
    declared = len(video) if offset is None else offset
    xmp = google_xmp(
        f'GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" '
        f'GCamera:MicroVideoOffset="{declared}" GCamera:MicroVideoPresentationTimestampUs="0"'
    )
    return jpeg(xmp=xmp) + video


def container_photo(video: bytes, *, length: int | None = None, padding: int = 0) -> bytes:
    """A Motion Photo 1.0: a ``Container:Directory`` whose last item is the clip."""
    declared = len(video) if length is None else length
    body = (
        "<Container:Directory><rdf:Seq>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" '
        f'Item:Semantic="Primary" Item:Length="0" Item:Padding="{padding}"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" '
        f'Item:Semantic="MotionPhoto" Item:Length="{declared}" Item:Padding="0"/></rdf:li>'
        "</rdf:Seq></Container:Directory>"
    )
    xmp = google_xmp('GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"', body)
    return jpeg(xmp=xmp) + bytes(padding) + video


def samsung_trailer(video: bytes) -> bytes:
    """Samsung's SEF trailer: the ``MotionPhoto_Data`` record (the clip), then the directory
    (``SEFH`` … ``SEFT``) naming it by its distance back from ``SEFH``."""
    record = b"\x00\x00\x30\x0a" + struct.pack("<I", 16) + b"MotionPhoto_Data" + video
    directory = b"SEFH" + struct.pack("<II", 106, 1)
    directory += b"\x00\x00\x30\x0a" + struct.pack("<II", len(record), len(record))
    return record + directory + struct.pack("<I", len(directory)) + b"SEFT"


def samsung(video: bytes, *, xmp: bytes | None = None) -> bytes:
    return jpeg(xmp=xmp) + samsung_trailer(video)


# --- Rows of a rendered Live Photo's halves ---------------------------------------------------

STILL = image_bytes("JPEG", size=(32, 24))


def stored(image: Image, kind: str, extension: str, data: bytes) -> str:
    """Stores one of ``image``'s files under a server-made name; returns the name."""
    return files.file_store(
        key=files.image_file_key(
            owner_id=image.owner_id, image_id=image.pk, kind=kind, extension=extension
        ),
        content=ContentFile(data),
    )


def _image(owner, *, kind: str, original: bytes, fmt: str, live_photo_id: str, **fields) -> Image:
    """A rendered image's row and files, as its render job leaves them: the original, three
    stills, and a playable MP4 for a video."""
    fields = {"status": Image.Status.READY, **fields}
    image = Image(
        id=uuid.uuid4(),
        owner=owner,
        kind=kind,
        format=fmt,
        width=64,
        height=48,
        size=len(original),
        checksum="0" * 64,
        style="none",
        rendered_style="none",
        live_photo_id=live_photo_id,
        **fields,
    )
    image.original_key = stored(image, "original", fmt.lower(), original)
    total = len(original)
    for name in ("processed", "preview", "thumbnail"):
        setattr(image, f"{name}_key", stored(image, name, "jpg", STILL))
        total += len(STILL)
    if kind == Image.Kind.VIDEO:
        image.playback_key = stored(image, "playback", "mp4", clip())
        image.duration = 0.5
        total += len(clip())
    image.stored_bytes = total
    image.save()
    return image


def make_photo(owner, identifier: str = LIVE_ID, **fields) -> Image:
    """A rendered Live Photo still (JPEG), its identifier read from its MakerNote."""
    data = live_jpeg(identifier)
    found = motion.live_photo_id_from_photo(data) or ""
    return _image(
        owner, kind=Image.Kind.PHOTO, original=data, fmt="JPEG", live_photo_id=found, **fields
    )


def make_clip(owner, identifier: str = LIVE_ID, **fields) -> Image:
    """A rendered Live Photo clip (MOV), its identifier read from its QuickTime metadata."""
    data = clip("mov", identifier)
    found = motion.live_photo_id_from_video(io.BytesIO(data)) or ""
    return _image(
        owner, kind=Image.Kind.VIDEO, original=data, fmt="MOV", live_photo_id=found, **fields
    )
