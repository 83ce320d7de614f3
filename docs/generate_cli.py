"""Write docs/cli.md from the CLI itself, so the reference never drifts from the code.

python docs/generate_cli.py          # rewrite docs/cli.md
python docs/generate_cli.py --check  # exit 1 if docs/cli.md is out of date (CI runs this)
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import typer.main
from typer._click.core import Context  # typer carries its own click

from horizon.cli import app

TARGET = Path(__file__).parent / "cli.md"
HEADER = """# CLI reference

Generated from the application by `python docs/generate_cli.py`; a test fails when it is out of
date. `horizon COMMAND --help` shows the same in a terminal. Global options go before the
command: `horizon --db store.db --config feeds.yaml pull`.

Exit codes, for every command: `0` success; `1` the command ran but something failed (a source,
a check); `2` a usage or configuration error, named in the message; `75` another pull holds the
store's lock; `130` interrupted; `141` the reader of its output went away (`horizon ... | head`),
which stops it quietly.
"""


def _text(value: str | None) -> str:
    # help is Rich markup, where a literal "[" is written "\\["
    return " ".join(inspect.cleandoc(value or "").replace("\\[", "[").split())


def _default(param: Any) -> str:
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return ""
    default = param.default
    if default is None or default == () or default == [] or callable(default):
        return ""
    if isinstance(default, bool):
        on = param.opts[0] if default else (param.secondary_opts or ["off"])[0]
        return f"`{on}`"
    return f"`{default}`"


def _name(param: Any, ctx: Context) -> str:
    kind = param.bare_type()
    if param.param_type_name == "argument":
        return f"`{param.name.upper()}` {kind}" + ("" if param.required else " (optional)")
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if not param.is_flag:
        names += f" {kind}"
    if param.multiple:
        names += " (repeatable)"
    return names


def _params(command: Any, ctx: Context) -> list[str]:
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        help_text = _text(getattr(param, "help", None))
        if param.envvar:
            help_text += f" (env `{param.envvar}`)"
        rows.append(f"| {_name(param, ctx)} | {help_text.replace('|', '/')} | {_default(param)} |")
    if not rows:
        return []
    return ["| argument or option | what it does | default |", "| --- | --- | --- |", *rows, ""]


def _walk(command: Any, path: list[str]) -> list[str]:
    ctx = Context(command)
    lines = [f"## {' '.join(path)}", "", _text(command.help), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```", f"{' '.join(path)} {usage}".rstrip(), "```", ""]
    lines += _params(command, ctx)
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += _walk(sub, [*path, name])
    return lines


def render() -> str:
    root = typer.main.get_command(app)
    return HEADER + "\n" + "\n".join(_walk(root, ["horizon"])).rstrip() + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run python docs/generate_cli.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
