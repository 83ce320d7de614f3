"""Edits to feeds.yaml that keep its comments and layout (ruamel.yaml round trip)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from horizon.config import read_yaml
from horizon.errors import ConfigError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def _load(config_path: Path) -> Any:
    doc = read_yaml(config_path) if config_path.exists() else None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"{config_path.name}: the top level must be a mapping")
    sources = doc.get("sources")
    if sources is None:
        sources = CommentedSeq()
        doc["sources"] = sources
    if not isinstance(sources, list):
        raise ConfigError(f"{config_path.name}: 'sources' must be a list")
    return doc


def _save(config_path: Path, doc: Any) -> None:
    tmp = config_path.with_name(config_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        _yaml().dump(doc, fh)
    tmp.replace(config_path)


def append_sources(config_path: Path, entries: list[dict[str, Any]]) -> None:
    """Add sources to feeds.yaml (creating it if needed)."""
    doc = _load(config_path)
    for entry in entries:
        doc["sources"].append(CommentedMap(entry))
    _save(config_path, doc)


def set_source_values(config_path: Path, updates: dict[str, dict[str, Any]]) -> int:
    """Set keys on existing sources (e.g. `verified` dates); returns how many changed."""
    doc = _load(config_path)
    changed = 0
    for source in doc["sources"]:
        if isinstance(source, dict) and source.get("id") in updates:
            for key, value in updates[source["id"]].items():
                source[key] = value
            changed += 1
    if changed:
        _save(config_path, doc)
    return changed
