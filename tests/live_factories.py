"""Files an iPhone and an Android phone write for photos that move, made for tests.

An Apple MakerNote built byte by byte (its content identifier at tag 0x0011), the EXIF that
carries it (written into JPEG by Pillow and into HEIC by pillow-heif), and a tiny H.264 clip
in MP4 or MOV made by PyAV, with the QuickTime content identifier when asked. Made once per
process per argument list.
"""

import functools
import io
import struct

import av
import pillow_heif
from PIL import Image as PILImage

from imaging import motion

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
