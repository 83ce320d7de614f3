"""Parsing and normalising one source's bodies: the job a parse process runs.

Kept apart from `horizon.pull`, which forks the processes: the job needs neither the store nor
the network, and everything it is given or returns pickles: plain data, no FetchError (whose
arguments do not survive a round trip) and no config model. The store thread runs the same
functions when it parses itself, so both ways give the same result.
"""

from __future__ import annotations

from collections.abc import Callable
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


def parse_feed(
    documents: list[Document], source_type: str, language: str | None, now: datetime
) -> Parsed:
    """The built-in feed parse of a source's bodies (`SourceType.parse`), then normalisation,
    as a plain function of its arguments."""
    return parse_and_normalise(lambda: parse_documents(documents), source_type, language, now)
