"""The root `horizon` command: global options, command groups, and the one error boundary."""

from __future__ import annotations

import importlib
import os
import sqlite3
import sys
import traceback
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from horizon import __version__
from horizon.errors import HorizonError
from horizon.output import error, tolerant_streams
from horizon.workspace import Workspace

# Each command and the module in horizon.commands that registers it, in the order `horizon
# --help` lists them. A module is imported when one of its commands runs (or for the help and
# shell completion), so that `horizon items list` does not import the pull's HTTP client and
# parsers, nor the digest's numpy and jinja2: each module's imports are what its commands use.
COMMANDS = {
    "pull": "pull",
    "retag": "tagger",
    "review": "review_cmd",
    "tag": "review_cmd",
    "watchlist": "review_cmd",
    "backup": "review_cmd",
    "serve": "serve_cmd",
    "plugins": "plugins_cmd",
    "demo": "demo_cmd",
    "sources": "sources",
    "items": "items",
    "tagger": "tagger",
    "digest": "digest_cmd",
}


def commands_of(module: str) -> dict[str, Any]:
    """The commands a module of horizon.commands registers, built as Typer builds them (its
    vendored click's commands and groups, which it does not export as a type)."""
    app = typer.Typer()
    importlib.import_module(f"horizon.commands.{module}").register(app)
    return dict(typer.main.get_group(app).commands)


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name, each module imported at the first look-up of one of its
    commands. Its names come from COMMANDS without importing anything, so a mistyped command's
    suggestions cost nothing either."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built and name in COMMANDS:
            self._built.update(commands_of(COMMANDS[name]))
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class HorizonGroup(TyperGroup):
    """Turns every HorizonError into 'Error: ...' and an exit code; no traceback reaches a user.
    Its commands are loaded as they are used (_Commands)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except HorizonError as exc:
            error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            error("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`horizon ... | head`): stop quietly, as other tools do.
            _discard_stdout()
            raise typer.Exit(141) from None
        except Exception as exc:
            trouble = _machine_trouble(exc, ctx.obj)
            if trouble is not None:
                error(trouble)
                try:
                    sys.stdout.flush()
                except OSError:
                    _discard_stdout()  # it cannot take what is still buffered
                raise typer.Exit(1) from None
            if os.environ.get("HORIZON_DEBUG"):
                raise
            log = _write_crash_log(exc)
            error(
                f"unexpected {type(exc).__name__}: {exc}. This is a bug in horizon; the "
                f"details are in {log} (set HORIZON_DEBUG=1 to see them here)."
            )
            raise typer.Exit(1) from None
        finally:
            obj = ctx.obj
            if isinstance(obj, Workspace):
                obj.close()


# SQLite's errors that tell of the machine or the file, not of a mistake in horizon (the
# extended codes, SQLITE_IOERR_WRITE and the like, start with these).
_STORE_TROUBLE = (
    "SQLITE_BUSY",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_LOCKED",
    "SQLITE_NOTADB",
    "SQLITE_PERM",
    "SQLITE_READONLY",
)


def _machine_trouble(exc: Exception, workspace: object) -> str | None:
    """The message for an error of the machine's making: a folder missing, a permission
    refused, a disk full, a store another program holds or damaged. None for anything else,
    which is a bug in horizon."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return f"{exc.filename}: {reason}" if exc.filename else f"cannot go on: {reason}"
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorname", None) or ""
        if code.startswith(_STORE_TROUBLE):
            where = workspace.db_path if isinstance(workspace, Workspace) else "the store"
            return f"{where}: {exc}"
    return None


def _discard_stdout() -> None:
    """Output still buffered for a stdout that cannot take it would fail again as Python
    exits, with a traceback of its own: it goes nowhere instead."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write_crash_log(exc: BaseException) -> Path:
    import platformdirs

    folder = Path(platformdirs.user_log_dir("horizon", appauthor=False))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "crash.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(exc)) + "\n")
        return path
    except OSError:
        return Path("(could not write a log)")


app = typer.Typer(
    cls=HorizonGroup,
    name="horizon",
    help="Horizon scanning for the VGT board: pull public sources into SQLite, tag them "
    "against the environmental scan's four themes, review them, and brief the board.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"horizon {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="HORIZON_DB",
            help="The SQLite store (default: `database:` in the "
            "config, else a file in the user data folder). Only `horizon pull` creates one.",
            dir_okay=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="HORIZON_CONFIG",
            help="The sources file (default: ./feeds.yaml).",
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Horizon scanning for the VGT board."""
    tolerant_streams()
    ctx.obj = Workspace(config_path=config, db_path=db)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        error("interrupted")
        sys.exit(130)
