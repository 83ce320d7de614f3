"""Parsing and normalising one source's bodies: the job a parse process runs.

Kept apart from `horizon.pull`, which forks the processes: the job needs neither the store nor
the network, and everything it is given or returns pickles: plain data, no FetchError (whose
arguments do not survive a round trip) and no config model. The store thread runs the same
functions when it parses itself, so both ways give the same result.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from horizon.errors import FetchError
from horizon.feeds import parse_documents
from horizon.models import Document, ParsedFeed
from horizon.normalise import Normalised, normalise
from horizon.textutil import terminal_safe


@dataclass
class Parsed:
    """A source's bodies parsed and normalised, or the error that stopped it (its kind and
    message, to be raised again as a FetchError where it is recorded)."""

    norm: Normalised | None = None
    items_seen: int = 0
    parser: str | None = None
    title: str | None = None
    link: str | None = None
    ttl_minutes: int | None = None
    warnings: list[str] = field(default_factory=list)
    error: tuple[str, str] | None = None


def guarded(parse: Callable[[], ParsedFeed], source_type: str) -> ParsedFeed:
    """Run a parse; any failure becomes a FetchError (a plugin's bug is that source's failure
    only)."""
    try:
        return parse()
    except FetchError:
        raise
    except Exception as exc:
        raise FetchError(
            "plugin",
            f"{source_type} parser failed: {type(exc).__name__}: {terminal_safe(str(exc))[:300]}",
        ) from None


def parse_and_normalise(
    parse: Callable[[], ParsedFeed], source_type: str, language: str | None, now: datetime
) -> Parsed:
    try:
        parsed = guarded(parse, source_type)
    except FetchError as exc:
        return Parsed(error=(exc.kind, str(exc)))
    norm = normalise(parsed, now=now, source_language=language)
    return Parsed(
        norm,
        len(parsed.entries),
        parsed.parser,
        parsed.title,
        parsed.link,
        parsed.ttl_minutes,
        parsed.warnings + norm.warnings,
    )


# How long one source's bodies may take to parse in a parse process. A normal feed takes well
# under a second (10 MiB at most); a hostile one can drive feedparser's own quadratic patterns
# for hours (a million-character author), and the pull would wait for it.
PARSE_TIME_LIMIT = 60.0


class _OutOfTime(BaseException):
    """Raised by the timer in a parse process; a BaseException, so no parser's `except
    Exception` takes it for its own error."""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Stop what runs inside after `seconds`, where a timer signal can do it: the main thread
    of a process on a system with setitimer, as a parse process's job runs. Elsewhere (the
    store thread parsing itself) nothing is limited."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def out_of_time(signum: int, frame: object) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse_feed(
    documents: list[Document],
    source_type: str,
    language: str | None,
    now: datetime,
    time_limit: float | None = None,
) -> Parsed:
    """The built-in feed parse of a source's bodies (`SourceType.parse`), then normalisation,
    as a plain function of its arguments; in a parse process, stopped after `time_limit`
    seconds with a `timeout` error for the source."""
    try:
        with _time_limit(time_limit):
            return parse_and_normalise(
                lambda: parse_documents(documents), source_type, language, now
            )
    except _OutOfTime:
        return Parsed(
            error=(
                "timeout",
                f"parsing took longer than {time_limit:g}s (a pathological or hostile feed); "
                "skipped this run",
            )
        )
