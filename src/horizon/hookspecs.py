"""Every hook a horizon plugin can implement. Each takes a `register` callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from horizon.render import Renderer
    from horizon.sources import SourceType
    from horizon.tagging import Tagger

hookspec = pluggy.HookspecMarker("horizon")
hookimpl = pluggy.HookimplMarker("horizon")


@hookspec
def register_sources(register: Callable[[SourceType], None]) -> None:
    """Register source types; feeds.yaml picks one per source with `type:`."""


@hookspec
def register_taggers(register: Callable[[Tagger], None]) -> None:
    """Register taggers; each gives themes, topics or 4P lenses with evidence to every item."""


@hookspec
def register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register digest renderers; `horizon digest --format NAME` picks one."""
