"""The `file` source type: a saved feed file, or a folder of them (feeds carried in on media)."""

from __future__ import annotations

from collections.abc import Callable

from horizon import hookimpl
from horizon.config import SourceConfig
from horizon.errors import FetchError
from horizon.feeds import merge, parse_document
from horizon.models import Fetched, ParsedFeed
from horizon.sources import FetchContext, SourceType

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".feed")


class FileSource(SourceType):
    name = "file"
    description = "A saved feed file, or every .xml/.rss/.atom/.rdf/.json file in a folder."
    needs = "path"

    async def fetch(self, source: SourceConfig, ctx: FetchContext) -> Fetched:
        return Fetched(documents=ctx.read_path(patterns=FEED_SUFFIXES))

    def parse(self, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
        # In a folder, one bad file is a warning; the source fails only if every file does.
        parsed: list[ParsedFeed] = []
        problems: list[str] = []
        first_error: FetchError | None = None
        for doc in fetched.documents:
            try:
                parsed.append(parse_document(doc))
            except FetchError as exc:
                first_error = first_error or exc
                problems.append(f"{doc.url.rsplit('/', 1)[-1]}: {exc}")
        if not parsed and first_error is not None:
            raise first_error
        feed = merge(parsed)
        feed.warnings.extend(problems)
        return feed


@hookimpl
def register_sources(register: Callable[[SourceType], None]) -> None:
    register(FileSource())
