"""OPML in and out: read any feed reader's export, write ours, add new sources to feeds.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from horizon.config import SourceConfig
from horizon.errors import ConfigError
from horizon.textutil import human_size, normalise_link, read_at_most, slugify, terminal_safe


@dataclass
class OpmlFeed:
    title: str
    url: str
    category: str | None = None


@dataclass
class OpmlImport:
    feeds: list[OpmlFeed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # outlines that are not feeds, and why


def _attr(el: Any, name: str) -> str | None:
    for key, value in el.attrib.items():
        if str(key).lower() == name.lower() and str(value).strip():
            return str(value).strip()
    return None


def _local(element: Any) -> str:
    """An element's lower-case local name; '' for comments, processing instructions and the
    odd names lxml's recovering parser makes of broken markup (such as ':')."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


# Real exports of thousands of feeds are a few MB; more is not a list of feeds.
OPML_MAX_BYTES = 50 * 1024 * 1024


def read_opml(path: Path) -> OpmlImport:
    """Feeds in an OPML file; nested folders become a 'Folder / Subfolder' category."""
    try:
        data = read_at_most(path, OPML_MAX_BYTES)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if data is None:
        raise ConfigError(f"{path}: over {human_size(OPML_MAX_BYTES)}, too large for an OPML file")
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path.name}: not valid OPML: {exc}") from None
    if root is None or _local(root) != "opml":
        raise ConfigError(f"{path.name}: not an OPML file (no <opml> root element)")
    body = next(
        (c for c in root if _local(c) == "body"),
        None,
    )
    if body is None:
        raise ConfigError(f"{path.name}: OPML has no <body>")
    result = OpmlImport()
    _walk(body, [], result, path.name)
    return result


def _walk(node: Any, folders: list[str], result: OpmlImport, name: str) -> None:
    for child in node:
        if _local(child) != "outline":
            continue
        title = _attr(child, "title") or _attr(child, "text") or ""
        title = terminal_safe(" ".join(title.split()))
        xml_url = _attr(child, "xmlUrl")
        if xml_url:
            parts = urlsplit(xml_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                result.skipped.append(
                    f"{name}, line {child.sourceline}: {terminal_safe(xml_url)!r} "
                    "is not an http(s) URL"
                )
            else:
                result.feeds.append(
                    OpmlFeed(
                        title=title or parts.netloc,
                        url=xml_url,
                        category=" / ".join(folders) or None,
                    )
                )
        elif _attr(child, "type") in ("link", "include") and _attr(child, "url"):
            result.skipped.append(
                f"{name}, line {child.sourceline}: {title!r} is a link to another page, not a feed"
            )
        if len(child):
            _walk(child, [*folders, title] if not xml_url and title else folders, result, name)


@dataclass
class ImportReport:
    added: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def plan_import(feeds: list[OpmlFeed], existing: list[SourceConfig]) -> ImportReport:
    """Which OPML feeds are new, and which duplicate a source we have (or each other)."""
    report = ImportReport()
    known_urls = {normalise_link(s.url): s.id for s in existing if s.url}
    ids = {s.id for s in existing}
    for feed in feeds:
        url = normalise_link(feed.url)
        if url in known_urls:
            report.duplicates.append(
                f"{feed.title!r} <{feed.url}> is already source {known_urls[url]!r}"
            )
            continue
        base = slugify(feed.title, fallback=slugify(urlsplit(feed.url).netloc))
        source_id, n = base, 2
        while source_id in ids:
            source_id, n = f"{base}-{n}", n + 1
        ids.add(source_id)
        known_urls[url] = source_id
        entry: dict[str, Any] = {
            "id": source_id,
            "name": feed.title,
            "type": "rss",
            "url": feed.url,
        }
        if feed.category:
            entry["category"] = feed.category
        report.added.append(entry)
    return report


def write_opml(sources: list[SourceConfig], title: str = "horizon sources") -> bytes:
    """OPML 2.0 with one folder level per category segment."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], Any] = {(): body}
    for source in sources:
        if not source.url:
            continue
        path: tuple[str, ...] = ()
        for part in [p.strip() for p in (source.category or "").split(" / ") if p.strip()]:
            parent = folders[path]
            path = (*path, part)
            if path not in folders:
                folders[path] = etree.SubElement(parent, "outline", text=part, title=part)
        attrs = {
            "text": source.display_name,
            "title": source.display_name,
            "type": "rss",
            "xmlUrl": source.url,
        }
        if source.category:
            attrs["category"] = source.category
        etree.SubElement(folders[path], "outline", attrs)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
