"""Digest periods: ISO weeks, months, quarters, years and explicit ranges, and the ones before."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from horizon.errors import UsageError


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, with a label and the kind that says how to step back."""

    label: str
    start: datetime
    end: datetime
    kind: str  # week, month, quarter, year, range

    def previous(self) -> Period:
        if self.kind == "week":
            start = self.start - timedelta(days=7)
            iso = start.date().isocalendar()
            return Period(f"{iso.year}-W{iso.week:02d}", start, self.start, "week")
        if self.kind == "month":
            first = _month_start(self.start.year, self.start.month - 1)
            return Period(f"{first.year}-{first.month:02d}", first, self.start, "month")
        if self.kind == "quarter":
            first = _month_start(self.start.year, self.start.month - 3)
            return Period(
                f"{first.year}-Q{(first.month - 1) // 3 + 1}", first, self.start, "quarter"
            )
        if self.kind == "year":
            first = datetime(self.start.year - 1, 1, 1, tzinfo=UTC)
            return Period(str(first.year), first, self.start, "year")
        length = self.end - self.start
        start = self.start - length
        return Period(
            f"{start.date()} to {(self.start - timedelta(seconds=1)).date()}",
            start,
            self.start,
            "range",
        )

    def history(self, count: int) -> list[Period]:
        """The `count` periods before this one, oldest first."""
        out: list[Period] = []
        current = self
        for _ in range(count):
            current = current.previous()
            out.append(current)
        return list(reversed(out))


def _month_start(year: int, month: int) -> datetime:
    while month < 1:
        month += 12
        year -= 1
    while month > 12:
        month -= 12
        year += 1
    return datetime(year, month, 1, tzinfo=UTC)


def _day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# The years a period may fall in: its baseline, the periods before it, must stay within the
# calendar Python counts (years 1 to 9999).
YEARS = range(1900, 9000)


def _check_year(year: int, option: str) -> None:
    if year not in YEARS:
        raise UsageError(f"{option}: the year must be from {YEARS[0]} to {YEARS[-1]}")


def parse_period(text: str) -> Period:
    """2026-W48, 2026-11, 2026-Q4 or 2026."""
    value = text.strip().upper()
    if match := re.match(r"\d{4}", value):
        _check_year(int(match.group(0)), f"--period {text!r}")
    if match := re.fullmatch(r"(\d{4})-W(\d{1,2})", value):
        year, week = int(match.group(1)), int(match.group(2))
        try:
            start = _day(date.fromisocalendar(year, week, 1))
        except ValueError:
            raise UsageError(f"--period {text!r}: {year} has no ISO week {week}") from None
        return Period(f"{year}-W{week:02d}", start, start + timedelta(days=7), "week")
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise UsageError(f"--period {text!r}: no month {month}")
        start = _month_start(year, month)
        return Period(f"{year}-{month:02d}", start, _month_start(year, month + 1), "month")
    if match := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        year, quarter = int(match.group(1)), int(match.group(2))
        start = _month_start(year, 3 * quarter - 2)
        return Period(f"{year}-Q{quarter}", start, _month_start(year, 3 * quarter + 1), "quarter")
    if re.fullmatch(r"\d{4}", value):
        start = datetime(int(value), 1, 1, tzinfo=UTC)
        return Period(value, start, datetime(int(value) + 1, 1, 1, tzinfo=UTC), "year")
    raise UsageError(
        f"--period {text!r}: use a week (2026-W48), month (2026-11), quarter "
        "(2026-Q4) or year (2026)"
    )


def parse_range(start: str, end: str) -> Period:
    """--from DATE --to DATE, both days included."""
    try:
        first = date.fromisoformat(start.strip())
        last = date.fromisoformat(end.strip())
    except ValueError:
        raise UsageError(f"--from/--to: {start!r} and {end!r} must be dates (YYYY-MM-DD)") from None
    if last < first:
        raise UsageError(f"--to {end} is before --from {start}")
    _check_year(first.year, f"--from {start}")
    _check_year(last.year, f"--to {end}")
    return Period(f"{first} to {last}", _day(first), _day(last) + timedelta(days=1), "range")


def since(start: datetime, now: datetime) -> Period:
    """From the end of the last digest until now (the last seven days when there is none)."""
    if start >= now:
        start = now - timedelta(days=7)
    return Period(f"{start.date()} to {now.date()}", start, now, "range")
