"""What a command works on: the config file, the store and the plugins, each loaded once."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from horizon.config import Config, find_config, load_config
from horizon.db import default_db_path, open_db
from horizon.errors import ConfigError
from horizon.plugins import Plugins, load_plugins

if TYPE_CHECKING:
    from horizon.sources import SourceType
    from horizon.tagging import Tagger, TaggerSet
    from horizon.taxonomy import Taxonomy


class Workspace:
    """Paths resolved the documented way: --db > HORIZON_DB > `database:` > user data dir."""

    def __init__(self, config_path: Path | None = None, db_path: Path | None = None) -> None:
        self._explicit_config = config_path
        self._explicit_db = db_path
        self._db: Database | None = None

    @property
    def config_target(self) -> Path:
        """Where the config is or would be written (it may not exist yet)."""
        return find_config(self._explicit_config) or Path("feeds.yaml")

    @cached_property
    def config_path(self) -> Path | None:
        path = find_config(self._explicit_config)
        if path is not None and not path.exists():
            raise ConfigError(f"{path}: no such config file (given by --config or HORIZON_CONFIG)")
        return path

    @cached_property
    def plugins(self) -> Plugins:
        return load_plugins(self.config_target.parent)

    @cached_property
    def source_types(self) -> dict[str, SourceType]:
        return self.plugins.collect("register_sources", "source type")

    @cached_property
    def config(self) -> Config:
        try:
            return load_config(self.config_path, self.source_types)
        except ConfigError as exc:
            if self.plugins.warnings:  # a plugin that failed to load may explain the error
                raise ConfigError("\n".join([str(exc), *self.plugins.warnings])) from None
            raise

    @cached_property
    def tagger_plugins(self) -> dict[str, Tagger]:
        return self.plugins.collect("register_taggers", "tagger")

    @cached_property
    def taxonomy(self) -> Taxonomy:
        from horizon.taxonomy import load_taxonomy

        override = self.config.raw.get("taxonomy") if self.config_path else None
        return load_taxonomy(override, self.config.base_dir, self.config.name)

    def taggers(self, only: list[str] | None = None) -> TaggerSet:
        """The taggers ready to run against this store: those named in `only`, else every one
        feeds.yaml does not switch off (`taggers: {seed: false}`)."""
        from horizon.tagging import TaggingContext, prepare_taggers

        if only is None:
            switches = self.config.taggers
            unknown = sorted(set(switches) - set(self.tagger_plugins))
            if unknown:
                raise ConfigError(
                    f"{self.config.name}: 'taggers': no tagger named {', '.join(unknown)} "
                    f"(taggers: {', '.join(self.tagger_plugins)})"
                )
            only = [name for name in self.tagger_plugins if switches.get(name, True)]
        return prepare_taggers(self.tagger_plugins, TaggingContext(self.taxonomy, self.db), only)

    def require_config(self) -> Config:
        if self.config_path is None:
            raise ConfigError(
                "no feeds.yaml in the current folder: pass --config PATH or set HORIZON_CONFIG"
            )
        return self.config

    @cached_property
    def db_path(self) -> Path:
        if self._explicit_db is not None:
            return Path(self._explicit_db)
        configured = self.config.database_path() if self.config_path else None
        return configured or default_db_path()

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
