"""Request-body parsers that bound what they read: size, nesting depth and valid Unicode.

DRF's parsers read a JSON or form body whole, with no limit (Django checks
``DATA_UPLOAD_MAX_MEMORY_SIZE`` only for ``request.body``, which DRF does not use), and
Python's ``json`` recurses once per nesting level. A lone UTF-16 surrogate (``"\\ud800"``) is
valid JSON but no valid string: PostgreSQL, hashing and rendering all fail on it later.
"""

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.utils.json import strict_constant

from core.errors import TooLarge

# Deep enough for any body this API takes (the deepest is an object of lists of strings).
MAX_JSON_DEPTH = 32


def body_read_bounded(stream: Any) -> bytes:
    """The whole body, or ``TooLarge`` once it passes ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(data) > limit:
        raise TooLarge(
            f"The request body is too large; the limit is {limit:,} bytes.",
            code="payload_too_large",
        )
    return data


def text_encoding(parser_context: Any) -> str:
    """The body's declared charset, if it is a text encoding; else a 415 that says so.

    ``codecs`` also knows transforms (``rot13``, ``zlib``, ``base64``) that are no charset and
    fail in odd ways when used as one.
    """
    encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UnsupportedMediaType(
            f"charset={str(encoding)[:32]}",
            detail=f"The charset {str(encoding)[:32]!r} is not a text encoding; send UTF-8.",
            code="unsupported_charset",
        )
    return encoding


def json_value_check(value: Any) -> None:
    """Raises ``ParseError`` for nesting deeper than ``MAX_JSON_DEPTH`` or a lone surrogate."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _text_check(item)
        elif isinstance(item, Mapping | list):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(
                    f"JSON is nested too deeply; at most {MAX_JSON_DEPTH} levels.",
                    code="json_too_deep",
                )
            if isinstance(item, Mapping):
                for key, child in item.items():
                    _text_check(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _text_check(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(
            "JSON strings must be valid Unicode (no lone surrogates).", code="invalid_unicode"
        ) from exc


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a depth limit and valid Unicode only."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = text_encoding(parser_context)
        raw = body_read_bounded(stream)
        try:
            text = codecs.decode(raw, encoding)
            # NaN and Infinity are not JSON; DRF's strict mode refuses them too.
            data = json.loads(text, parse_constant=strict_constant)
        except RecursionError as exc:
            raise ParseError(
                f"JSON is nested too deeply; at most {MAX_JSON_DEPTH} levels.",
                code="json_too_deep",
            ) from exc
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}", code="parse_error") from exc
        json_value_check(data)
        return data


class FormParser(parsers.FormParser):
    """DRF's form parser with Django's size limit applied to the body it reads."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = text_encoding(parser_context)
        try:
            return QueryDict(body_read_bounded(stream), encoding=encoding)
        except UnicodeError as exc:
            raise ParseError(
                f"The form body is not valid {encoding}.", code="invalid_encoding"
            ) from exc
