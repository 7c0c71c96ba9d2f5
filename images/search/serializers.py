"""The search API's shapes: a search's parameters, and a suggestion."""

from datetime import date
from typing import Any

from rest_framework import serializers

from images.fields import StrictBooleanField, StrictUUIDField
from images.models import Image
from images.search.text import MAX_QUERY_LENGTH, MAX_QUERY_WORDS, fold_words

_NAME_MAX = 100


class _NamedField(serializers.CharField):
    """A place's or camera's name: some letter or digit in it, or it names nothing."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not fold_words(value):
            raise serializers.ValidationError("Name it with letters or digits.", code="invalid")
        return value


class SearchParamsSerializer(serializers.Serializer):
    """``search/``'s query string: the words, and filters that combine with them (all hold)."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="Words to find (all must match; the last one as the beginning of a word, "
        "unless the query ends with a space) in the title, description, file name, album "
        "titles, camera, lens and place, accents and case ignored; date phrases (`2019`, "
        "`July 2024`, `jul 2024`, `14 July 2024`, `summer 2023`, `christmas 2022`, "
        "`2024-07`, `2024-07-14`) narrow the date instead. "
        f"At most {MAX_QUERY_WORDS} words, {MAX_QUERY_LENGTH} characters.",
    )
    kind = serializers.ChoiceField(choices=Image.Kind.choices, required=False)
    is_favorite = StrictBooleanField(
        required=False, help_text="Only favourites (true) or only the others (false)."
    )
    album = StrictUUIDField(required=False, help_text="Only pictures in this album of yours.")
    camera = _NamedField(
        required=False,
        max_length=_NAME_MAX,
        help_text="Only pictures whose camera make and model have each of these words "
        "(as a suggestion of kind `camera` gives it).",
    )
    place = _NamedField(
        required=False,
        max_length=_NAME_MAX,
        help_text="Only pictures whose place (city, region, country) has each of these "
        "words, or whose country code it is (`FR`).",
    )
    after = serializers.DateField(
        required=False, help_text="Only pictures of this day or later (the camera's date)."
    )
    before = serializers.DateField(
        required=False, help_text="Only pictures of days before this one (the camera's date)."
    )
    has_location = StrictBooleanField(
        required=False, help_text="Only pictures with a position (true) or without (false)."
    )
    include_partners = StrictBooleanField(
        required=False,
        default=False,
        help_text="Also the pictures partners share with you, each marked (`partner`), as in "
        "the gallery. A partner's picture is found by its title only, and never by `place`, "
        "`camera` or `has_location`, unless that partner shows you its metadata; `album` "
        "and `is_favorite=true` are about your own pictures only.",
    )

    def validate_q(self, value: str) -> str:
        if len(value.split()) > MAX_QUERY_WORDS:
            raise serializers.ValidationError(
                f"At most {MAX_QUERY_WORDS} words.", code="too_many_terms"
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after: date | None = attrs.get("after")
        before: date | None = attrs.get("before")
        for name in ("after", "before"):
            day = attrs.get(name)
            if day is not None and day.year in (1, 9999):
                raise serializers.ValidationError({name: ["A date between 0002 and 9998."]})
        if after is not None and before is not None and after >= before:
            raise serializers.ValidationError({"before": ["Must be after `after`."]})
        return attrs


class SuggestionsParamsSerializer(serializers.Serializer):
    """``search/suggestions/``'s query string."""

    q = serializers.CharField(
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text="What has been typed so far; each word begins a word of what is offered.",
    )

    def validate_q(self, value: str) -> str:
        if len(value.split()) > MAX_QUERY_WORDS:
            raise serializers.ValidationError(
                f"At most {MAX_QUERY_WORDS} words.", code="too_many_terms"
            )
        return value


class SuggestionSerializer(serializers.Serializer):
    """Something to search, and the search it stands for."""

    kind = serializers.ChoiceField(
        choices=[("place", "place"), ("camera", "camera"), ("album", "album"), ("title", "title")]
    )
    # A declared field named like a DRF Field attribute; the serializer's metaclass moves
    # declared fields out of the class, so nothing is shadowed at run time.
    label = serializers.CharField(help_text="What to show.")  # type: ignore[assignment]
    params = serializers.DictField(
        child=serializers.CharField(),
        help_text="The query string of `search/` this suggestion stands for, e.g. "
        '`{"place": "Paris"}`, `{"camera": "Canon EOS R5"}`, `{"album": "<id>"}`, '
        '`{"q": "Sunset"}`.',
    )


class SuggestionListSerializer(serializers.Serializer):
    """Suggestions, best first."""

    results = SuggestionSerializer(many=True)
