"""The plugin manager: built-ins, installed entry points (group `horizon`) and plugin folders."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from horizon import hookspecs
from horizon.textutil import terminal_safe

DEFAULT_PLUGINS = (
    "horizon.default_plugins.rss",
    "horizon.default_plugins.file",
    "horizon.default_plugins.jsonfeed",
    "horizon.default_plugins.page",
    "horizon.default_plugins.keywords",
    "horizon.default_plugins.model",
    "horizon.default_plugins.stated",
    "horizon.default_plugins.renderers",
)
ENTRY_POINT_GROUP = "horizon"


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin, as `horizon plugins` shows it."""

    name: str
    origin: str  # builtin, entry point, or the file path
    hooks: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Plugins:
    """A loaded plugin manager plus what was loaded from where and what failed."""

    pm: pluggy.PluginManager
    info: list[PluginInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def collect(self, hook_name: str, kind: str) -> dict[str, Any]:
        """Call a register_* hook; one name, one implementation (first registered wins)."""
        found: dict[str, Any] = {}
        owners: dict[str, str] = {}
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # pluggy calls last-registered first
            plugin_name = self.pm.get_name(impl.plugin) or "?"

            def register(obj: Any, _owner: str = plugin_name) -> None:
                name = getattr(obj, "name", None)
                if not name:
                    self.warnings.append(f"plugin {_owner}: registered a {kind} without a name")
                    return
                if name in found:
                    self.warnings.append(
                        f"plugin {_owner}: {kind} {name!r} is already registered by "
                        f"{owners[name]}; keeping that one"
                    )
                    return
                found[name] = obj
                owners[name] = _owner

            impl.function(register=register)
        return found


def _allowed() -> set[str] | None:
    """HORIZON_LOAD_PLUGINS: the installed (entry-point) plugins to load; unset means all.
    Plugin folders belong to the deployment and always load."""
    value = os.environ.get("HORIZON_LOAD_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def plugin_dirs(config_dir: Path | None) -> list[Path]:
    """Folders searched for `*.py` plugins: `plugins/` beside the config, HORIZON_PLUGINS_DIR."""
    dirs = []
    if config_dir is not None:
        dirs.append(config_dir / "plugins")
    extra = os.environ.get("HORIZON_PLUGINS_DIR")
    if extra:
        dirs.extend(Path(p) for p in extra.split(os.pathsep) if p)
    return dirs


def load_plugins(config_dir: Path | None = None) -> Plugins:
    """Build a plugin manager; a plugin that fails to load is reported, never fatal."""
    pm = pluggy.PluginManager("horizon")
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm)
    for module_name in DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register(module, name=module_name.rsplit(".", 1)[-1])
        plugins.info.append(
            PluginInfo(module_name.rsplit(".", 1)[-1], "builtin", _hooks(pm, module))
        )
    allowed = _allowed()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
            plugins.info.append(PluginInfo(ep.name, f"entry point {ep.value}", _hooks(pm, module)))
        except Exception as exc:  # a broken third-party plugin must not stop horizon
            plugins.info.append(PluginInfo(ep.name, f"entry point {ep.value}", error=_err(exc)))
    for folder in plugin_dirs(config_dir):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            if pm.get_plugin(path.stem) is not None:
                plugins.info.append(
                    PluginInfo(
                        path.stem, str(path), error="a plugin with this name is already loaded"
                    )
                )
                continue
            try:
                module = _load_file(path)
                pm.register(module, name=path.stem)
                plugins.info.append(PluginInfo(path.stem, str(path), _hooks(pm, module)))
            except Exception as exc:
                plugins.info.append(PluginInfo(path.stem, str(path), error=_err(exc)))
    for info in plugins.info:
        if info.error:
            plugins.warnings.append(
                f"plugin {info.name} ({info.origin}) failed to load: {info.error}"
            )
    return plugins


def _load_file(path: Path) -> ModuleType:
    module_name = f"horizon_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    callers = pm.get_hookcallers(plugin) or []
    return sorted(caller.name for caller in callers)


def _err(exc: BaseException) -> str:
    return terminal_safe(f"{type(exc).__name__}: {exc}")[:300]
