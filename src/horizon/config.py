"""feeds.yaml -> validated settings and sources, with errors that name the file, source and key."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from horizon.errors import ConfigError
from horizon.textutil import human_size, parse_duration, parse_size, read_at_most

if TYPE_CHECKING:
    from horizon.sources import SourceType

# The longest duration a setting may give (an interval, a timeout, a retention): the times
# computed from it must stay within the calendar. A century is more than any of them needs.
LONGEST = 100 * 365 * 86400.0


def _duration(value: object) -> float:
    seconds = parse_duration(value)
    if not seconds <= LONGEST:  # not finite, or too long
        raise ValueError(f"{value!r} is not a duration of a century or less")
    return seconds


Duration = Annotated[float, BeforeValidator(_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
THEME_IDS = ("technology", "human-behaviour", "legislation", "organisational")
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"


def _date_text(value: object) -> object:
    """YAML reads an unquoted 2026-11-30 as a date; keep it as the text it was."""
    return value.isoformat() if isinstance(value, date) else value


class FetchSettings(BaseModel):
    """Politeness and safety limits for fetching (the `fetch:` key)."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=16, ge=1, le=256)
    per_host: int = Field(default=2, ge=1, le=32)
    connect_timeout: Duration = 10.0
    read_timeout: Duration = 30.0
    budget: Duration = 90.0
    max_bytes: Size = 10 * 1024 * 1024
    max_redirects: int = Field(default=5, ge=0, le=20)
    backoff_cap: Duration = 24 * 3600.0
    moved_after: int = Field(default=3, ge=1, le=100)
    max_versions: int = Field(default=5, ge=0, le=1000)
    user_agent: str | None = None
    # Processes that parse feeds while the store thread stores: unset, one per core but one
    # (at most 4) when 20 sources or more are due, else none; 0 turns them off.
    parse_workers: int | None = Field(default=None, ge=0, le=64)


class SourceConfig(BaseModel):
    """One entry of `sources:`. Keys a source type adds are checked by that type."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    type: str = "rss"
    url: str | None = None
    path: str | None = None
    organisation: str | None = None
    category: str | None = None
    jurisdiction: str | None = None
    language: str | None = None
    themes: list[str] = Field(default_factory=list)
    enabled: bool = True
    interval: Duration = 3600.0
    stale_after: Duration | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    allow_private: bool = False
    verified: Annotated[str | None, BeforeValidator(_date_text)] = None
    notes: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def options(self) -> dict[str, Any]:
        """The type-specific keys (everything feeds.yaml gave beyond the common ones)."""
        return dict(self.model_extra or {})


_TOP_LEVEL = {
    "database",
    "contact",
    "fetch",
    "retention",
    "defaults",
    "sources",
    "taxonomy",
    "digest",
    "taggers",
}


@dataclass
class Config:
    """A loaded feeds.yaml (or an empty one when there is no file)."""

    path: Path | None
    sources: list[SourceConfig] = field(default_factory=list)
    fetch: FetchSettings = field(default_factory=lambda: FetchSettings())
    database: str | None = None
    contact: str | None = None
    retention: float | None = None
    taggers: dict[str, bool] = field(default_factory=dict)  # name -> on; unnamed ones are on
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name if self.path else "feeds.yaml"

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = [s.id for s in self.sources]
        raise ConfigError(
            f"{self.name}: no source with id {source_id!r}{_suggest(source_id, known)}"
        )

    def database_path(self) -> Path | None:
        if not self.database:
            return None
        path = Path(os.path.expanduser(self.database))
        return path if path.is_absolute() else self.base_dir / path


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# A feeds.yaml of 10,000 sources is about 1 MB.
YAML_MAX_BYTES = 20 * 1024 * 1024


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with line numbers kept, or raise ConfigError naming the file and line."""
    try:
        data = read_at_most(path, YAML_MAX_BYTES)
        if data is None:
            raise ConfigError(f"{path}: over {human_size(YAML_MAX_BYTES)}, too large to be config")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path.name}{where}: not valid YAML: {problem}") from None
    except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
        raise ConfigError(f"{path.name}: not valid YAML: {exc}") from None


def _line(node: Any, key: str | int | None = None) -> str:
    lc = getattr(node, "lc", None)
    if lc is None:
        return ""
    try:
        if key is not None and isinstance(node, Mapping) and key in node:
            return f" (line {lc.key(key)[0] + 1})"
        if key is not None and isinstance(key, int):
            return f" (line {lc.item(key)[0] + 1})"
        return f" (line {lc.line + 1})"
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def describe_errors(exc: ValidationError, where: str, node: Any = None) -> list[str]:
    """pydantic's errors, one line each: "feeds.yaml, source 'x': 'url': ..." ."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = loc[0] if loc else "?"
        dotted = ".".join(loc) or "?"
        kind = err["type"]
        if kind == "missing":
            text = f"'{dotted}' is missing"
        elif kind == "extra_forbidden":
            text = f"unknown key '{dotted}'"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            if kind == "string_pattern_mismatch" and key == "id":
                msg = "use lower-case letters, digits, '.', '_' or '-' (at most 80)"
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            text = f"'{dotted}': {msg[:1].lower() + msg[1:]}{shown}"
        lines.append(f"{where}{_line(node, key)}: {text}")
    return lines


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config path: --config / HORIZON_CONFIG, else ./feeds.yaml if it exists."""
    if explicit:
        return Path(explicit)
    default = Path("feeds.yaml")
    return default if default.exists() else None


def load_config(
    path: Path | None,
    source_types: Mapping[str, SourceType] | None = None,
) -> Config:
    """Read and fully validate a config file before anything is fetched."""
    if path is None:
        return Config(path=None)
    data = read_yaml(path)
    name = path.name
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: the top level must be a mapping with a 'sources:' list")
    errors: list[str] = []
    for key in data:
        if key not in _TOP_LEVEL:
            errors.append(
                f"{name}{_line(data, key)}: unknown top-level key {key!r}"
                f"{_suggest(str(key), _TOP_LEVEL)}"
            )
    config = Config(path=path, raw=dict(data))
    config.database = _optional_str(data, "database", name, errors)
    config.contact = _optional_str(data, "contact", name, errors)
    if data.get("retention") is not None:
        try:
            config.retention = _duration(data["retention"])
        except ValueError as exc:
            errors.append(f"{name}{_line(data, 'retention')}: 'retention': {exc}")
    taggers = data.get("taggers") or {}
    if isinstance(taggers, Mapping) and all(
        isinstance(k, str) and isinstance(v, bool) for k, v in taggers.items()
    ):
        config.taggers = dict(taggers)
    else:
        errors.append(
            f"{name}{_line(data, 'taggers')}: 'taggers' must map tagger names to true or false "
            "(e.g. 'seed: false')"
        )
    fetch = data.get("fetch") or {}
    try:
        config.fetch = FetchSettings.model_validate(
            dict(fetch) if isinstance(fetch, Mapping) else fetch
        )
    except ValidationError as exc:
        errors.extend(describe_errors(exc, f"{name}, fetch", fetch))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        errors.append(
            f"{name}{_line(data, 'defaults')}: 'defaults' must be a mapping of source keys"
        )
        defaults = {}
    sources = data.get("sources")
    if sources is None:
        sources = []
    if not isinstance(sources, list):
        errors.append(f"{name}{_line(data, 'sources')}: 'sources' must be a list")
        sources = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(sources):
        label = f"{name}, source #{index + 1}"
        if not isinstance(raw, Mapping):
            errors.append(f"{label}{_line(sources, index)}: each source must be a mapping of keys")
            continue
        if raw.get("id") is not None:
            label = f"{name}, source {str(raw.get('id'))!r}"
        merged = {**defaults, **raw}
        try:
            source = SourceConfig.model_validate(merged)
        except ValidationError as exc:
            errors.extend(describe_errors(exc, label, raw))
            continue
        if source.id in seen:
            errors.append(
                f"{label}{_line(raw, 'id')}: duplicate id {source.id!r} "
                f"(also source #{seen[source.id] + 1})"
            )
            continue
        seen[source.id] = index
        errors.extend(_check_source(source, raw, label, source_types))
        config.sources.append(source)
    if errors:
        raise ConfigError("\n".join(errors))
    return config


def _optional_str(data: Mapping[str, Any], key: str, name: str, errors: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{name}{_line(data, key)}: '{key}' must be a non-empty string")
        return None
    return value


def _check_source(
    source: SourceConfig,
    raw: Mapping[str, Any],
    label: str,
    source_types: Mapping[str, SourceType] | None,
) -> list[str]:
    errors: list[str] = []
    for theme in source.themes:
        if theme not in THEME_IDS:
            errors.append(
                f"{label}{_line(raw, 'themes')}: 'themes': unknown theme {theme!r}"
                f"{_suggest(theme, THEME_IDS)}; use {', '.join(THEME_IDS)}"
            )
    if source.interval < 60:
        errors.append(f"{label}{_line(raw, 'interval')}: 'interval' must be at least 1m")
    if source.url is not None:
        parts = urlsplit(source.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(
                f"{label}{_line(raw, 'url')}: 'url' must be an http:// or https:// URL "
                f"(got {source.url!r})"
            )
    if source_types is None:
        return errors
    stype = source_types.get(source.type)
    if stype is None:
        errors.append(
            f"{label}{_line(raw, 'type')}: 'type' {source.type!r} is not a known source "
            f"type{_suggest(source.type, set(source_types))}; known: "
            f"{', '.join(sorted(source_types))}"
        )
        return errors
    if stype.needs == "url" and not source.url:
        errors.append(f"{label}{_line(raw)}: 'url' is missing (type {source.type!r} needs one)")
    if stype.needs == "path" and not source.path:
        errors.append(f"{label}{_line(raw)}: 'path' is missing (type {source.type!r} needs one)")
    extra = source.options
    model = stype.options_model
    if model is None:
        for key in extra:
            errors.append(
                f"{label}{_line(raw, key)}: unknown key {key!r}"
                f"{_suggest(key, set(SourceConfig.model_fields))}"
            )
    else:
        try:
            model.model_validate(extra)
        except ValidationError as exc:
            errors.extend(describe_errors(exc, label, raw))
    return errors
