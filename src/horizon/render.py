"""What a digest renderer is, and the helpers the built-in ones share: escaping feed text for
Markdown and HTML, sparklines, and chart geometry for inline SVG."""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import Any, ClassVar

import jinja2

from horizon.textutil import terminal_safe

SPARKS = "▁▂▃▄▅▆▇█"
# Enough to keep feed text from making links, images, emphasis, code or table cells; `<`, `>`
# and `&` become HTML entities so no raw HTML gets through either.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


class Renderer:
    """Turns a digest (plain data, see horizon.digest) into a document."""

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def render(self, digest: dict[str, Any]) -> str:
        raise NotImplementedError


def with_defaults(digest: dict[str, Any]) -> dict[str, Any]:
    """Sections added in later versions, empty for digests recorded before them."""
    return {"dossiers": [], **digest}


def plain(text: object) -> str:
    """Feed text on one line, with control characters and escape sequences gone."""
    return terminal_safe("" if text is None else text)


def md_escape(text: object) -> str:
    """Feed text made inert in Markdown: no emphasis, links, headings or raw HTML."""
    value = html.escape(plain(text), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_link(text: object, url: str | None) -> str:
    label = md_escape(text)
    if not url:
        return label
    target = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{label}]({target})"


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


def chart(
    series: list[int], signals: list[int], width: int = 220, height: int = 64
) -> dict[str, Any]:
    """Bar geometry for one theme's inline SVG: items per period, signals as darker bars."""
    count = len(series)
    gap = 4
    bar = max(4, (width - gap * (count + 1)) // max(count, 1))
    top = max(series + signals + [1])
    bars = []
    for index, (items, sigs) in enumerate(zip(series, signals, strict=True)):
        x = gap + index * (bar + gap)
        h_items = round((height - 14) * items / top)
        h_sig = round((height - 14) * sigs / top)
        bars.append(
            {
                "x": x,
                "w": bar,
                "items": items,
                "signals": sigs,
                "y_items": height - 12 - h_items,
                "h_items": h_items,
                "y_signals": height - 12 - h_sig,
                "h_signals": h_sig,
                "current": index == count - 1,
            }
        )
    return {"width": width, "height": height, "bars": bars}


def template(name: str, *, autoescape: bool) -> jinja2.Template:
    text = resources.files("horizon").joinpath(f"data/templates/{name}").read_text("utf-8")
    env = jinja2.Environment(
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, plain=plain, sparkline=sparkline)
    env.globals.update(md_link=md_link, chart=chart)
    return env.from_string(text)
