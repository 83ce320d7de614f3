"""The `rss` source type: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF (and JSON Feed, sniffed)."""

from __future__ import annotations

from collections.abc import Callable

from horizon import hookimpl
from horizon.sources import SourceType


class RssSource(SourceType):
    name = "rss"
    description = "An RSS, Atom, RDF or JSON Feed URL, fetched with conditional GET."
    needs = "url"


@hookimpl
def register_sources(register: Callable[[SourceType], None]) -> None:
    register(RssSource())
