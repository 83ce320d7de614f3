"""The root `horizon` command: global options, command groups, and the one error boundary."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from horizon import __version__
from horizon.commands import (
    demo_cmd,
    digest_cmd,
    items,
    plugins_cmd,
    pull,
    review_cmd,
    serve_cmd,
    sources,
    tagger,
)
from horizon.errors import HorizonError
from horizon.output import error
from horizon.workspace import Workspace


class HorizonGroup(TyperGroup):
    """Turns every HorizonError into 'Error: ...' and an exit code; no traceback reaches a user."""

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
            # Output still buffered would fail again at exit, so it goes nowhere instead.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(141) from None
        except Exception as exc:
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
            "config, else a file in the user data folder).",
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
    ctx.obj = Workspace(config_path=config, db_path=db)


pull.register(app)
sources.register(app)
items.register(app)
tagger.register(app)
review_cmd.register(app)
digest_cmd.register(app)
serve_cmd.register(app)
plugins_cmd.register(app)
demo_cmd.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        error("interrupted")
        sys.exit(130)
