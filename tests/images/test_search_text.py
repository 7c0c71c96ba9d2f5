"""How search folds words and reads a query (``images.search.text``): accents and case
folded the same on both sides, date phrases turned into ranges of the timeline and taken
out of the words, the bounds of a query."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from images.search.text import (
    MAX_QUERY_LENGTH,
    MAX_QUERY_WORDS,
    MAX_WORD,
    QueryTooLong,
    SearchQuery,
    fold,
    fold_words,
    query_parse,
)


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class TestFold:
    @pytest.mark.parametrize(
        ("text", "words"),
        [
            ("Café de Flore", ["cafe", "de", "flore"]),
            ("ZÜRICH Straße", ["zurich", "strasse"]),
            ("Ørsted Łódź Æbeltoft", ["orsted", "lodz", "aebeltoft"]),
            ("São-Paulo_2024.jpg", ["sao", "paulo", "2024", "jpg"]),
            ("ﬁve ² Ⅷ", ["five", "2", "viii"]),
            ("İstanbul", ["istanbul"]),
            ('"NEAR" (a OR b)* -c:d ^e', ["near", "a", "or", "b", "c", "d", "e"]),
            ("\x00\t\n", []),
        ],
    )
    def test_words_fold_to_lower_case_letters_and_digits(self, text, words):
        assert fold_words(text) == words

    def test_a_column_has_each_word_once(self):
        assert fold("Paris", "paris PARIS", None, "", "Île-de-France") == "paris ile de france"

    def test_a_very_long_word_is_cut(self):
        assert fold_words("a" * 500) == ["a" * MAX_WORD]

    @given(st.text())
    def test_folded_text_is_only_letters_digits_and_single_spaces(self, text):
        folded = fold(text)
        assert folded == folded.strip()
        assert "  " not in folded
        assert all(ch.isalnum() or ch == " " for ch in folded)
        # Folding is idempotent: the query is folded as the document was.
        assert fold(folded) == folded


class TestDatePhrases:
    @pytest.mark.parametrize(
        ("text", "start", "end"),
        [
            ("2019", _at(2019, 1, 1), _at(2020, 1, 1)),
            ("July 2024", _at(2024, 7, 1), _at(2024, 8, 1)),
            ("jul 2024", _at(2024, 7, 1), _at(2024, 8, 1)),
            ("sept 2021", _at(2021, 9, 1), _at(2021, 10, 1)),
            ("December 2024", _at(2024, 12, 1), _at(2025, 1, 1)),
            ("summer 2023", _at(2023, 6, 1), _at(2023, 9, 1)),
            ("spring 2023", _at(2023, 3, 1), _at(2023, 6, 1)),
            ("autumn 2023", _at(2023, 9, 1), _at(2023, 12, 1)),
            ("fall 2023", _at(2023, 9, 1), _at(2023, 12, 1)),
            ("winter 2023", _at(2023, 12, 1), _at(2024, 3, 1)),
            ("christmas 2022", _at(2022, 12, 24), _at(2022, 12, 27)),
            ("Xmas 2022", _at(2022, 12, 24), _at(2022, 12, 27)),
            ("2024-07", _at(2024, 7, 1), _at(2024, 8, 1)),
            ("2024-07-14", _at(2024, 7, 14), _at(2024, 7, 15)),
            ("14 July 2024", _at(2024, 7, 14), _at(2024, 7, 15)),
            ("July 14, 2024", _at(2024, 7, 14), _at(2024, 7, 15)),
            ("2024-02-29", _at(2024, 2, 29), _at(2024, 3, 1)),
        ],
    )
    def test_a_date_phrase_is_a_range_and_no_word(self, text, start, end):
        query = query_parse(text)
        assert (query.start, query.end, query.terms) == (start, end, ())

    def test_the_words_around_a_date_stay_words(self):
        query = query_parse("beach July 2024 sunset")
        assert query.terms == ("beach", "sunset")
        assert (query.start, query.end) == (_at(2024, 7, 1), _at(2024, 8, 1))
        assert query.prefix

    def test_a_query_ending_in_a_date_has_no_prefix(self):
        assert not query_parse("beach 2024").prefix

    def test_two_phrases_narrow_to_what_both_name(self):
        query = query_parse("2024 July 2024")
        assert (query.start, query.end) == (_at(2024, 7, 1), _at(2024, 8, 1))
        assert query_parse("2023 2024").empty_range

    @pytest.mark.parametrize(
        ("text", "terms"),
        [
            ("July", ("july",)),
            ("1234", ("1234",)),
            ("2024-13", ("2024", "13")),
            ("2023-02-29", ("2023", "02", "29")),
            ("summer", ("summer",)),
        ],
    )
    def test_what_names_no_date_stays_words(self, text, terms):
        assert query_parse(text).terms == terms

    def test_an_impossible_day_leaves_its_month(self):
        query = query_parse("31 February 2024")
        assert query.terms == ("31",)
        assert (query.start, query.end) == (_at(2024, 2, 1), _at(2024, 3, 1))

    def test_a_query_ending_with_a_space_has_no_prefix(self):
        assert query_parse("paris").prefix
        assert not query_parse("paris ").prefix

    def test_a_repeated_word_is_asked_once_and_the_last_stays_last(self):
        assert query_parse("paris sun paris").terms == ("sun", "paris")


class TestBounds:
    def test_too_long_is_refused(self):
        with pytest.raises(QueryTooLong) as refused:
            query_parse("a" * (MAX_QUERY_LENGTH + 1))
        assert refused.value.code == "too_long"

    def test_too_many_words_is_refused(self):
        with pytest.raises(QueryTooLong) as refused:
            query_parse(" ".join(["a"] * (MAX_QUERY_WORDS + 1)))
        assert refused.value.code == "too_many_terms"

    def test_an_empty_query_asks_nothing(self):
        assert query_parse("   ") == SearchQuery()
