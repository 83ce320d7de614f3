"""The built-in digest renderers: Markdown, HTML (one self-contained file) and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from horizon import hookimpl
from horizon.render import Renderer, template, with_defaults


class MarkdownRenderer(Renderer):
    name = "md"
    extension = "md"
    description = "Markdown, feed text escaped so it cannot inject links or HTML."

    def render(self, digest: dict[str, Any]) -> str:
        return template("digest.md.j2", autoescape=False).render(**with_defaults(digest))


class HtmlRenderer(Renderer):
    name = "html"
    extension = "html"
    description = "One self-contained HTML file: inline styles and SVG charts, no script."

    def render(self, digest: dict[str, Any]) -> str:
        return template("digest.html.j2", autoescape=True).render(**with_defaults(digest))


class JsonRenderer(Renderer):
    name = "json"
    extension = "json"
    description = "The digest's data as JSON."

    def render(self, digest: dict[str, Any]) -> str:
        return json.dumps(digest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@hookimpl
def register_renderers(register: Callable[[Renderer], None]) -> None:
    register(MarkdownRenderer())
    register(HtmlRenderer())
    register(JsonRenderer())
