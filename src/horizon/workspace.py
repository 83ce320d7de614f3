"""What a command works on: the config file, the store and the plugins, each loaded once."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from horizon.config import Config, find_config, load_config
from horizon.db import default_db_path, open_db
from horizon.errors import ConfigError, StoreError
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
        """The taggers ready to run against this store (against none if there is no store
        yet: then no analysts' model): those named in `only`, else every one feeds.yaml does
        not switch off (`taggers: {seed: false}`)."""
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
        context = TaggingContext(self.taxonomy, self.db if self.has_db else None)
        return prepare_taggers(self.tagger_plugins, context, only)

    def require_config(self) -> Config:
        if self.config_path is None:
            raise ConfigError(
                "no feeds.yaml in the current folder: pass --config PATH or set HORIZON_CONFIG"
            )
        return self.config

    @cached_property
    def _db_choice(self) -> tuple[Path, str]:
        """The store's path, and what chose it (for an error about it)."""
        if self._explicit_db is not None:
            return Path(self._explicit_db), "given by --db or HORIZON_DB"
        configured = self.config.database_path() if self.config_path else None
        if configured is not None:
            return configured, f"the `database:` of {self.config.name}"
        return default_db_path(), "the default store"

    @property
    def db_path(self) -> Path:
        return self._db_choice[0]

    @property
    def has_db(self) -> bool:
        """Whether there is a store to open (`db` would not raise for want of one)."""
        return self._db is not None or self.db_path.exists()

    @property
    def db(self) -> Database:
        """The store, which must exist. Only `horizon pull` and the demo make one
        (`create_db`): to any other command a path with no store behind it is a mistyped
        --db, which would otherwise leave an empty store there and answer "nothing"."""
        if self._db is None and not self.db_path.exists():
            path, chosen = self._db_choice
            raise StoreError(f"{path}: no store here ({chosen}); `horizon pull` creates one")
        return self.create_db()

    def create_db(self) -> Database:
        """The store, created (with its folders) if there is none yet."""
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
