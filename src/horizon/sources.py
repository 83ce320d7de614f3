"""What a source type is (what `register_sources` registers) and the context it fetches with."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from horizon.errors import FetchError
from horizon.feeds import parse_documents
from horizon.models import Document, Fetched, ParsedFeed
from horizon.textutil import human_size, read_at_most

if TYPE_CHECKING:
    from horizon.config import FetchSettings, SourceConfig
    from horizon.fetch import Http, Response


class SourceType:
    """A kind of source, chosen by `type:` in feeds.yaml.

    Subclasses set `name` and override `fetch` (network or disk: may only use `ctx`) and,
    when the bytes are not a feed, `parse`. `fetch` runs concurrently with other sources on
    an event loop; `parse` runs on a worker thread. Raise `FetchError(kind, message)` for a
    failure the user should see; anything else is recorded as a `plugin` error.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    needs: ClassVar[str] = "url"  # "url", "path" or "none": which key feeds.yaml must give
    options_model: ClassVar[type[BaseModel] | None] = None  # extra keys this type accepts

    async def fetch(self, source: SourceConfig, ctx: FetchContext) -> Fetched:
        """Fetch the source's URL with a conditional GET."""
        document = await ctx.get()
        if document is None:
            return Fetched(not_modified=True)
        return Fetched(documents=[document])

    def parse(self, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
        """Entries from the fetched documents (RSS, Atom, RDF or JSON Feed)."""
        return parse_documents(fetched.documents)


@dataclass
class SourceState:
    """What the store remembers about a source between pulls, as fetching needs it."""

    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass
class FetchContext:
    """A source type's only way out: polite HTTP and bounded file reads, with bookkeeping."""

    source: SourceConfig
    state: SourceState
    http: Http | None
    settings: FetchSettings
    base_dir: Path
    force: bool = False
    responses: list[Response] = field(default_factory=list)
    primary: Response | None = None
    # Told how long a request queued for its host's slot; pull leaves that out of the budget.
    on_wait: Callable[[float], None] | None = None

    @property
    def url(self) -> str:
        """Where to fetch: the confirmed new location after a move, else feeds.yaml's url."""
        return self.state.url or self.source.url or ""

    @property
    def primary_response(self) -> Response | None:
        """The response that describes the source: its first conditional GET, else the last."""
        return self.primary or (self.responses[-1] if self.responses else None)

    async def get(
        self,
        url: str | None = None,
        *,
        conditional: bool | None = None,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Document | None:
        """GET a URL (default: the source's). The first conditional GET sends the stored
        validators and returns None when the server says 304 Not Modified."""
        if self.http is None:
            raise FetchError("plugin", "this source type has no HTTP access in this context")
        target = url or self.url
        if conditional is None:
            conditional = url is None and self.primary is None
        use_validators = conditional and not self.force
        response = await self.http.get(
            target,
            etag=self.state.etag if use_validators else None,
            last_modified=self.state.last_modified if use_validators else None,
            headers={**self.source.headers, **(headers or {})},
            allow_private=self.source.allow_private,
            max_bytes=max_bytes,
            on_wait=self.on_wait,
            origin=self.url if url and url != self.url else None,
        )
        self.responses.append(response)
        if conditional and self.primary is None:
            self.primary = response
        if response.not_modified:
            return None
        return Document(
            url=response.url, body=response.body, headers=response.headers, status=response.status
        )

    def read_path(self, path: str | None = None, patterns: tuple[str, ...] = ()) -> list[Document]:
        """Read a saved feed file, or every matching file in a folder (sorted by name)."""
        raw = path or self.source.path or ""
        target = Path(os.path.expanduser(raw))
        if not target.is_absolute():
            target = self.base_dir / target
        if target.is_dir():
            files = sorted(
                p for p in target.iterdir() if p.is_file() and not p.name.startswith(".")
            )
            if patterns:
                files = [p for p in files if p.suffix.lower() in patterns]
            if not files:
                raise FetchError("io", f"{target}: the folder holds no feed files")
        elif target.exists():
            files = [target]
        else:
            raise FetchError("io", f"{target}: no such file or folder")
        documents = []
        for file in files:
            try:
                body = read_at_most(file, self.settings.max_bytes)
            except OSError as exc:
                raise FetchError("io", f"{file}: cannot be read: {exc.strerror or exc}") from None
            if body is None:  # its size on disk says by how much, if it is a plain file
                size, limit = file.stat().st_size, self.settings.max_bytes
                much = f"{human_size(size)} is over" if size > limit else "over"
                raise FetchError("too-large", f"{file}: {much} the {human_size(limit)} limit")
            documents.append(Document(url=file.resolve().as_uri(), body=body))
        return documents
