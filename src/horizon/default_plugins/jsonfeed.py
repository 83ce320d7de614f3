"""The `jsonfeed` source type: a JSON Feed 1.0/1.1 URL (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

from collections.abc import Callable

from horizon import hookimpl
from horizon.config import SourceConfig
from horizon.feeds import merge, parse_json_feed
from horizon.models import Fetched, ParsedFeed
from horizon.sources import SourceType


class JsonFeedSource(SourceType):
    name = "jsonfeed"
    description = "A JSON Feed 1.0/1.1 URL."
    needs = "url"

    def parse(self, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
        return merge([parse_json_feed(doc.body, doc.url) for doc in fetched.documents])


@hookimpl
def register_sources(register: Callable[[SourceType], None]) -> None:
    register(JsonFeedSource())
