"""Every format Atelier stores, with the media type and file extension it is served under.

One table, read by the decoders (what an original is called), the encoders (what a rendition
is named) and delivery (what a stored file is served as), so that a format's name, its
``Content-Type`` and its storage extension can never disagree between them. The format names
are those an upload's ``format`` field shows.
"""

MEDIA_TYPES = {
    # Photos.
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
    # Videos.
    "MP4": "video/mp4",
    "MOV": "video/quicktime",
    "WEBM": "video/webm",
}
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "HEIF": "heic",
    "AVIF": "avif",
    "MP4": "mp4",
    "MOV": "mov",
    "WEBM": "webm",
}
# What a server-made storage name's extension says the file is.
MEDIA_TYPE_BY_EXTENSION = {EXTENSIONS[name]: MEDIA_TYPES[name] for name in EXTENSIONS}

__all__ = ["EXTENSIONS", "MEDIA_TYPES", "MEDIA_TYPE_BY_EXTENSION"]
