"""The one token scheme (``core.tokens``): per-purpose salts, one expiry step, one spelling."""

import pytest

from core import tokens

NOW = 1_800_000_100.0  # inside a step, not on its edge
SUBJECT = "0123456789abcdef0123456789abcdef"


def _make(**kwargs) -> tuple[str, int]:
    return tokens.token_make(
        **{"purpose": "test.a", "message": "m", "ttl": 3600, "now": NOW, **kwargs}
    )


def _valid(token: str, **kwargs) -> bool:
    return tokens.token_valid(
        **{"purpose": "test.a", "message": "m", "token": token, "now": NOW, **kwargs}
    )


class TestTokenMake:
    def test_a_token_is_valid_for_its_purpose_and_message(self):
        token, _ = _make()
        assert _valid(token)

    def test_another_purpose_or_message_is_refused(self):
        token, _ = _make()
        assert not _valid(token, purpose="test.b")
        assert not _valid(token, message="n")

    def test_the_subject_is_carried_and_covered(self):
        token, _ = _make(subject=SUBJECT)
        assert token.startswith(f"{SUBJECT}.")
        assert tokens.token_subject(token=token, now=NOW) == SUBJECT
        assert _valid(token, subject=SUBJECT)
        assert not _valid(token)  # a token with a subject is never valid without it
        other = "f" * 32
        assert not _valid(token.replace(SUBJECT, other), subject=other)
        assert not _valid(_make()[0], subject=SUBJECT)  # nor the reverse

    def test_a_subject_is_32_lower_case_hex_digits(self):
        with pytest.raises(ValueError, match="subject"):
            _make(subject=SUBJECT.upper())

    def test_the_expiry_is_rounded_up_to_the_step_and_stated(self):
        token, expires = _make()
        assert expires % tokens.STEP_SECONDS == 0
        assert NOW + 3600 <= expires < NOW + 3600 + tokens.STEP_SECONDS
        assert tokens.token_expires(token=token) == expires
        assert tokens.token_expiry(ttl=3600, now=NOW) == expires

    def test_the_same_thing_signed_within_a_step_is_the_same_token(self):
        first, _ = _make()
        again, _ = _make(now=NOW + 1)
        assert first == again

    def test_an_expired_token_is_refused(self):
        token, expires = _make()
        assert _valid(token, now=expires)
        assert not _valid(token, now=expires + 1)
        assert tokens.token_subject(token=_make(subject=SUBJECT)[0], now=expires + 1) is None


@pytest.mark.parametrize(
    "respell",
    [
        str.upper,
        lambda t: " " + t,
        lambda t: t + "\n",
        lambda t: "0" + t,
        lambda t: "+" + t,
        lambda t: t[:3] + "_" + t[3:],
        lambda t: t.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        lambda t: t[:-1],
        lambda t: t + "0",
    ],
    ids=[
        "upper",
        "space",
        "newline",
        "leading-zero",
        "plus",
        "underscore",
        "full-width",
        "short",
        "long",
    ],
)
def test_only_the_canonical_spelling_is_accepted(respell):
    token, _ = _make()
    assert not _valid(respell(token))
    assert tokens.token_expires(token=respell(token)) == 0
