"""Digest periods: parsing, their bounds, and the periods before them."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from horizon.errors import UsageError
from horizon.periods import parse_period, parse_range, since


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "label", "start", "end", "previous"),
    [
        ("2026-W48", "2026-W48", day(2026, 11, 23), day(2026, 11, 30), "2026-W47"),
        ("2026-w1", "2026-W01", day(2025, 12, 29), day(2026, 1, 5), "2025-W52"),
        ("2026-11", "2026-11", day(2026, 11, 1), day(2026, 12, 1), "2026-10"),
        ("2026-1", "2026-01", day(2026, 1, 1), day(2026, 2, 1), "2025-12"),
        ("2026-12", "2026-12", day(2026, 12, 1), day(2027, 1, 1), "2026-11"),
        ("2026-Q1", "2026-Q1", day(2026, 1, 1), day(2026, 4, 1), "2025-Q4"),
        ("2026-q4", "2026-Q4", day(2026, 10, 1), day(2027, 1, 1), "2026-Q3"),
        (" 2026 ", "2026", day(2026, 1, 1), day(2027, 1, 1), "2025"),
    ],
)
def test_periods_and_the_one_before(text, label, start, end, previous):
    period = parse_period(text)
    assert (period.label, period.start, period.end) == (label, start, end)
    before = period.previous()
    assert before.label == previous and before.end == period.start
    history = period.history(3)
    assert len(history) == 3 and history[-1] == before
    assert all(a.end == b.start for a, b in itertools.pairwise(history))


def test_a_range_steps_back_by_its_own_length():
    period = parse_range("2026-11-01", "2026-11-10")
    assert (period.start, period.end) == (day(2026, 11, 1), day(2026, 11, 11))
    before = period.previous()
    assert before.label == "2026-10-22 to 2026-10-31"
    assert (before.start, before.end) == (day(2026, 10, 22), day(2026, 11, 1))


def test_since_the_last_digest():
    assert since(day(2026, 11, 20), day(2026, 11, 29)).label == "2026-11-20 to 2026-11-29"
    # a last digest that ends in the future (a clock change) falls back to a week
    assert since(day(2026, 12, 5), day(2026, 11, 29)).start == day(2026, 11, 22)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_period("2026-W54"), "2026 has no ISO week 54"),
        (lambda: parse_period("2026-13"), "no month 13"),
        (lambda: parse_period("last week"), "use a week (2026-W48)"),
        (lambda: parse_range("2026-11-31", "2026-12-01"), "must be dates"),
        (lambda: parse_range("2026-12-01", "2026-11-01"), "--to 2026-11-01 is before --from"),
    ],
)
def test_bad_periods_are_named(call, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        call()
