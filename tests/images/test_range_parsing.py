"""``images.ranges``: the ``Range`` grammar, the plan for a file's size, and ``If-Range``.

Plain Python, no database or request: what the HTTP tests (``test_ranges.py``) send, checked
at the edges of RFC 9110 §14 and §13.1.5 one function at a time.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from images.ranges import (
    FULL,
    MAX_RANGES,
    ByteRange,
    Outcome,
    RangePlan,
    if_range_holds,
    range_plan,
    range_specs_parse,
    ranges_coalesce,
)


class TestParse:
    @pytest.mark.parametrize(
        ("header", "specs"),
        [
            ("bytes=0-499", [(0, 499)]),
            ("bytes=500-", [(500, None)]),
            ("bytes=-500", [(None, 500)]),
            ("bytes=-0", [(None, 0)]),
            ("bytes=0-0,-1", [(0, 0), (None, 1)]),
            ("BYTES=1-2", [(1, 2)]),
            ("bytes=1-2 , 4-5,\t7-", [(1, 2), (4, 5), (7, None)]),
            ("bytes=,1-2,,", [(1, 2)]),
            ("bytes=007-010", [(7, 10)]),
            (" bytes=3-3 ", [(3, 3)]),
        ],
    )
    def test_valid_headers(self, header, specs):
        assert range_specs_parse(header) == specs

    @pytest.mark.parametrize(
        "header",
        [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes=5-4",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes =1-2",
            "bytes=0x1-2",
            "bytes=²-3",
            "items=0-1",
            "0-1",
            "bytes=0-1;q=1",
            "bytes=0-1,5-4",
            f"bytes=0-{'1' * 31}",
            f"bytes={'1' * 5000}-",
        ],
    )
    def test_invalid_headers(self, header):
        assert range_specs_parse(header) is None


class TestPlan:
    def test_no_header_is_the_whole_file(self):
        assert range_plan(None, size=100) == FULL

    def test_an_invalid_header_is_the_whole_file(self):
        assert range_plan("bytes=9-1", size=100) == FULL

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("bytes=0-0", [(0, 1)]),
            ("bytes=99-99", [(99, 100)]),
            ("bytes=99-", [(99, 100)]),
            ("bytes=-1", [(99, 100)]),
            ("bytes=-100", [(0, 100)]),
            ("bytes=-1000", [(0, 100)]),
            ("bytes=50-1000", [(50, 100)]),
            ("bytes=0-9,20-29", [(0, 10), (20, 30)]),
            ("bytes=20-29,0-9", [(0, 10), (20, 30)]),
            ("bytes=0-9,10-19", [(0, 20)]),
            ("bytes=0-9,5-14", [(0, 15)]),
            ("bytes=100-,0-1", [(0, 2)]),
            ("bytes=-0,3-4", [(3, 5)]),
        ],
    )
    def test_partial(self, header, expected):
        plan = range_plan(header, size=100)
        assert plan == RangePlan(Outcome.PARTIAL, tuple(ByteRange(*r) for r in expected))

    @pytest.mark.parametrize(
        ("header", "size"),
        [("bytes=100-", 100), ("bytes=100-200", 100), ("bytes=-0", 100), ("bytes=0-", 0)],
    )
    def test_unsatisfiable(self, header, size):
        assert range_plan(header, size=size) == RangePlan(Outcome.UNSATISFIABLE)

    def test_more_ranges_than_allowed_is_the_whole_file(self):
        header = "bytes=" + ",".join(f"{n * 10}-{n * 10}" for n in range(MAX_RANGES + 1))
        assert range_plan(header, size=1000) == FULL
        fewer = "bytes=" + ",".join(f"{n * 10}-{n * 10}" for n in range(MAX_RANGES))
        assert range_plan(fewer, size=1000).outcome is Outcome.PARTIAL

    def test_ranges_adding_up_to_more_than_the_file_are_the_whole_file(self):
        assert range_plan("bytes=0-,0-", size=100) == FULL
        assert range_plan("bytes=0-59,40-99", size=100) == FULL
        assert range_plan("bytes=0-49,50-99", size=100).ranges == (ByteRange(0, 100),)

    def test_content_range(self):
        assert ByteRange(0, 10).content_range(100) == "bytes 0-9/100"
        assert ByteRange(99, 100).content_range(100) == "bytes 99-99/100"

    @given(
        size=st.integers(1, 10_000),
        specs=st.lists(st.tuples(st.integers(0, 12_000), st.integers(0, 12_000)), min_size=1),
    )
    def test_planned_ranges_are_disjoint_sorted_and_inside_the_file(self, size, specs):
        header = "bytes=" + ",".join(f"{min(a, b)}-{max(a, b)}" for a, b in specs)
        plan = range_plan(header, size=size)
        if plan.outcome is not Outcome.PARTIAL:
            return
        assert all(0 <= r.start < r.stop <= size for r in plan.ranges)
        assert all(a.stop < b.start for a, b in zip(plan.ranges, plan.ranges[1:], strict=False))
        wanted = {byte for a, b in specs for byte in range(min(a, b), min(max(a, b) + 1, size))}
        served = {byte for r in plan.ranges for byte in range(r.start, r.stop)}
        assert served == wanted


def test_coalesce_keeps_gaps_and_merges_touching():
    ranges = [ByteRange(10, 20), ByteRange(0, 5), ByteRange(5, 7), ByteRange(15, 30)]
    assert ranges_coalesce(ranges) == [ByteRange(0, 7), ByteRange(10, 30)]


class TestIfRange:
    ETAG = '"abc"'
    MODIFIED = datetime(2026, 12, 7, 13, 0, 5, 700_000, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("value", "holds"),
        [
            (None, True),
            ('"abc"', True),
            (' "abc" ', True),
            ('"abd"', False),
            ('W/"abc"', False),
            ("abc", False),
            ("Mon, 07 Dec 2026 13:00:05 GMT", True),  # IMF-fixdate, to the second
            ("Monday, 07-Dec-26 13:00:05 GMT", True),  # RFC 850
            ("Mon Dec  7 13:00:05 2026", True),  # asctime
            ("Mon, 07 Dec 2026 13:00:04 GMT", False),
            ("Mon, 07 Dec 2026 13:00:06 GMT", False),
            ("Mon, 99 Foo 2026 13:00:06 GMT", False),
            ("", False),
        ],
    )
    def test_validators(self, value, holds):
        assert if_range_holds(value, etag=self.ETAG, last_modified=self.MODIFIED) is holds

    def test_a_date_matches_nothing_when_no_date_was_sent(self):
        assert not if_range_holds(
            "Mon, 07 Dec 2026 13:00:05 GMT", etag=self.ETAG, last_modified=None
        )
