"""The schema of the moving renditions (``video``, ``motion``): MP4 bytes, not stills.

The still renditions' decorators (``images.schema.rendition_schema``,
``images.public.schema.shared_rendition_schema``) say JPEG or PNG; these wrap them and say
what a moving rendition is instead.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema

from core.schema import error
from images.public.schema import shared_rendition_schema
from images.schema import file_responses, rendition_schema

__all__ = ["MOVING_RENDITIONS", "shared_video_rendition_schema", "video_rendition_schema"]

MOVING_RENDITIONS = {
    "video": "A video's web-playable version: H.264 and AAC in an MP4 (index first), at most "
    "1080p and bitrate-capped, no metadata (no place, no date, no camera). The original, "
    "if it already was one, with its streams copied.",
    "motion": "A Live Photo's or motion photo's moving part, as an MP4 without metadata.",
}
_MEDIA_TYPES = ("video/mp4",)


def video_rendition_schema(rendition: str) -> Callable[[Any], Any]:
    """``rendition_schema`` for a moving rendition of the owner's API."""
    what = MOVING_RENDITIONS[rendition]

    def decorate(view: Any) -> Any:
        inner = rendition_schema(rendition, what)(view)
        return extend_schema(
            description=f"{what} Send a bearer token, or use the signed URL from the image's "
            "`urls` (no token needed). Another account's image is a 404; so is a rendered "
            f"picture that has no {rendition} (code `no_such_file`: it never will).",
            responses={
                **file_responses(_MEDIA_TYPES),
                409: error(
                    "Not rendered yet (`not_ready`, with Retry-After), or its render failed."
                ),
            },
        )(inner)

    return decorate


def shared_video_rendition_schema(rendition: str) -> Callable[[Any], Any]:
    """``shared_rendition_schema`` for a moving rendition through a share link."""

    def decorate(view: Any) -> Any:
        inner = shared_rendition_schema(rendition)(view)
        return extend_schema(
            description=f"{MOVING_RENDITIONS[rendition]} By the signed URL in the link's page, "
            "streamed by this server in every delivery mode.",
            responses={
                **file_responses(_MEDIA_TYPES),
                409: error("The image has no such rendition yet."),
            },
        )(inner)

    return decorate
