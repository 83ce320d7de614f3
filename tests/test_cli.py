"""The CLI as a user meets it: listings, search, exit codes, cron quietness, terminal safety."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from horizon import __version__
from tests.conftest import fast_fetch
from tests.test_store import item, rss

HOSTILE = (
    "Evil \x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 "
    "\x1b]52;c;cm0gLXJmIH4=\x07clip \x1b[2J\x1b[Hcursor [bold]markup[/bold] \u202eRTL"
)


def seed(project, *items: str):
    feed = project.root / "feed.xml"
    feed.write_text(rss(*items), encoding="utf-8")
    project.write_config(
        [{"id": "f", "name": "Feed", "type": "file", "path": "feed.xml"}], fetch=fast_fetch()
    )
    result = project.run("pull")
    assert result.exit_code == 0, result.output
    return result


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "horizon", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"horizon {__version__}"


def test_pull_is_silent_under_cron(project):
    result = seed(project, item("A", guid="1"))
    assert result.stdout == "" and result.stderr == ""


def test_pull_json_summary(project):
    seed(project, item("A", guid="1"))
    out = project.json("pull", "--force")
    assert out["sources"][0] == {
        **out["sources"][0],
        "source": "f",
        "status": "ok",
        "new": 0,
        "unchanged": 1,
        "error": None,
    }
    assert {"run", "started_at", "finished_at", "sources_ok", "items_new"} <= set(out)


def test_items_list_json_fields_and_since(project):
    seed(
        project,
        item("recent", guid="1"),
        item("old", guid="2", date="Mon, 02 Jan 2017 10:00:00 GMT"),
    )
    items = project.json("items", "list")
    assert {
        "id",
        "source",
        "title",
        "url",
        "published",
        "first_seen",
        "summary",
        "language",
    } <= set(items[0])
    assert [i["title"] for i in items] == ["recent", "old"]
    assert items[0]["source"] == "f"
    recent = project.json("items", "list", "--since", "2026-01-01")
    assert [i["title"] for i in recent] == ["recent"]
    assert project.run("items", "list", "--since", "yesterdayish").exit_code == 2
    limited = project.json("items", "list", "--limit", "1")
    assert len(limited) == 1


def test_items_list_csv_neutralises_formulas(project):
    seed(project, item('=HYPERLINK("http://evil")', guid="1"))
    result = project.run("items", "list", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"].startswith("'=")


def test_search_and_malformed_query(project):
    seed(project, item("EU data retention ruling", guid="1"), item("Dog grooming", guid="2"))
    found = project.json("items", "search", '"data retention"')
    assert [i["title"] for i in found] == ["EU data retention ruling"]
    bad = project.run("items", "search", "retention AND (")
    assert bad.exit_code == 2
    assert "not valid FTS5 syntax" in bad.stderr and "Traceback" not in bad.output


def test_search_ranks_the_most_recent_matches_unless_asked(project, monkeypatch):
    from horizon import queries

    seed(
        project,
        item("Retention retention retention: the best match", guid="1"),  # stored first
        item("Retention mentioned once", guid="2"),
        item("Retention again, once", guid="3"),
        item("Nothing to see", guid="4"),
    )
    monkeypatch.setattr(queries, "RANK_WINDOW", 2)
    windowed = project.run("items", "search", "retention")
    assert "More than 2 items match" in windowed.stderr
    assert "the best match" not in windowed.stdout  # outside the two most recent matches
    ranked = project.json("items", "search", "retention", "--rank-all")
    assert ranked[0]["title"] == "Retention retention retention: the best match"
    assert len(ranked) == 3
    few = project.run("items", "search", "nothing")
    assert few.exit_code == 0 and "match:" not in few.stderr


def test_feed_text_is_terminal_safe(project):
    seed(project, item(HOSTILE, guid="1", desc=HOSTILE))
    for args in (("items", "list"), ("items", "show", "1"), ("items", "search", "evil")):
        result = project.run(*args)
        assert result.exit_code == 0
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\u202e" not in result.output
        assert "Evil red" in result.output
    assert "[bold]markup[/bold]" in project.run("items", "show", "1").stdout


def test_items_show_unknown_id(project):
    seed(project, item("A", guid="1"))
    result = project.run("items", "show", "999")
    assert result.exit_code == 2 and "no item with id 999" in result.stderr


def test_sources_list_fields(project):
    seed(project, item("A", guid="1"))
    listed = project.json("sources", "list")
    assert {
        "id",
        "type",
        "url",
        "status",
        "last_success",
        "consecutive_failures",
        "next_fetch",
        "items",
        "stale",
    } <= set(listed[0])
    assert listed[0]["status"] == "ok" and listed[0]["items"] == 1
    table = project.run("sources", "list").stdout
    assert "f" in table and "ok" in table


def test_stale_source(project):
    seed(project, item("old", guid="1", date="Mon, 02 Jan 2017 10:00:00 GMT"))
    assert project.json("sources", "list")[0]["stale"] is True


def test_sources_show_explains_skips(project):
    seed(project, item("A", guid="1"))
    project.run("pull")
    shown = project.json("sources", "show", "f")
    assert shown["fetches"][0]["status"] == "skipped"
    assert "not due until" in shown["fetches"][0]["next_fetch_reason"]
    table = project.run("sources", "show", "f")
    assert table.exit_code == 0 and "skipped" in table.stdout and "not due until" in table.stdout
    unknown = project.run("sources", "show", "nope")
    assert unknown.exit_code == 2 and "no source with id 'nope'" in unknown.stderr


def test_second_pull_exits_75_while_one_runs(project):
    seed(project, item("A", guid="1"))
    from horizon.db import open_db
    from horizon.pull import pull_lock

    lock = pull_lock(open_db(project.db_path))
    lock.acquire()
    try:
        result = project.run("pull")
        assert result.exit_code == 75
        assert "another horizon pull is running" in result.stderr
    finally:
        lock.release()
    assert project.run("pull", "--force").exit_code == 0


def test_stale_lock_from_killed_pull_does_not_block(project, tmp_path):
    seed(project, item("A", guid="1"))
    code = (
        "import os, sys\nfrom horizon.db import open_db\nfrom horizon.pull import pull_lock\n"
        f"pull_lock(open_db({str(project.db_path)!r})).acquire()\nos._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert project.run("pull", "--force").exit_code == 0


def test_no_config_is_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from horizon.cli import app

    result = CliRunner().invoke(app, ["pull"])
    assert result.exit_code == 2
    assert "no feeds.yaml in the current folder" in result.stderr


def test_console_script_runs_end_to_end(project, tmp_path):
    seed(project, item("A", guid="1"))
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    out = subprocess.run(
        ["horizon", "items", "list", "--json"], capture_output=True, text=True, env=env, check=True
    )
    assert '"title": "A"' in out.stdout


def test_a_closed_pipe_stops_quietly(project):
    """`horizon tagger classify ... | head -1`: the reader leaves early; no crash report."""
    project.write_config([])
    items = Path(__file__).parent / "data" / "tagging-dev.jsonl"  # 409 items: about 1 MB out
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    command = [sys.executable, "-m", "horizon", "tagger", "classify", str(items), "--json"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout and child.stderr
    assert child.stdout.readline().startswith(b"{")  # one line, then the reader goes away
    child.stdout.close()
    child.wait(timeout=120)
    stderr = child.stderr.read().decode()
    assert child.returncode == 141, stderr
    assert stderr == ""


def test_each_command_is_where_the_table_says():
    """cli.COMMANDS names the module of each command, in the help's order: every module of
    horizon.commands registers exactly the commands the table gives it."""
    from horizon import cli, commands

    modules = {
        path.stem
        for path in Path(commands.__file__).parent.glob("*.py")
        if path.stem not in ("__init__", "common")
    }
    assert set(cli.COMMANDS.values()) == modules
    for module in modules:
        named = [name for name, where in cli.COMMANDS.items() if where == module]
        assert sorted(cli.commands_of(module)) == sorted(named), module


def test_help_lists_every_command_in_order_and_a_typo_gets_a_suggestion():
    from typer.testing import CliRunner

    from horizon.cli import COMMANDS, app

    out = CliRunner().invoke(app, ["--help"], terminal_width=100).stdout
    listed = re.findall(r"^\W (\w+) {2,}\S", out, re.MULTILINE)  # "│ pull      Fetch ..."
    assert listed == list(COMMANDS)
    typo = CliRunner().invoke(app, ["itmes", "list"])
    assert typo.exit_code == 2
    assert "No such command 'itmes'. Did you mean 'items'?" in typo.output


def test_a_command_imports_only_its_own_module(project):
    """`horizon items list` in a new process loads neither the pull's HTTP client and parsers
    nor the digest's libraries: each command's module is imported when it runs (cli.COMMANDS).
    With every module imported at start the command took 0.55 s here, now about 0.3 s."""
    seed(project, item("A", guid="1"))
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from horizon.cli import app\n"
        f"result = CliRunner().invoke(app, ['--db', {str(project.db_path)!r}, 'items', 'list',"
        " '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        'assert \'"title": "A"\' in result.stdout, result.stdout\n'
        "loaded = {name.split('.')[0] for name in sys.modules} | set(sys.modules)\n"
        "print(sorted(loaded & {'httpx', 'feedparser', 'lxml', 'jinja2', 'scipy',"
        " 'horizon.pull', 'horizon.digest', 'horizon.commands.pull',"
        " 'horizon.commands.digest_cmd', 'horizon.commands.items'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project.root
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['horizon.commands.items']"


def test_shell_completion_finds_commands_and_their_options(tmp_path):
    """Completion looks commands up as they are loaded (cli.COMMANDS), options included."""

    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "_HORIZON_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(index)
        out = subprocess.run(["horizon"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert complete("horizon ite", 1) == ["items"]
    assert complete("horizon items li", 2) == ["list"]
    assert complete("horizon items list --th", 3) == ["--theme"]
    assert "digest" in complete("horizon ", 1)


def _in_a_terminal(project, command: str) -> str:
    """Everything a shell command printed in a real terminal (a pseudo-terminal), once it ended."""
    import pexpect

    env = {
        **os.environ,
        "NO_COLOR": "1",
        "TERM": "xterm",
        "COLUMNS": "120",
        "HORIZON_DB": str(project.db_path),
        "HORIZON_CONFIG": str(project.config),
    }
    child = pexpect.spawn(
        "bash", ["-c", command], env=env, cwd=str(project.root), encoding="utf-8", timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)  # bold, cursor moves


def test_long_commands_show_progress_on_a_terminal_and_nothing_elsewhere(project):
    """pull, retag, tagger evaluate, tagger classify, backup and digest draw a bar on stderr
    when it is a terminal (classify only when its lines go elsewhere), tagger train a spinner;
    in pipes, as under cron, no bar."""
    seed(project, *(item(f"Encryption item {n}", guid=str(n)) for n in range(3)))
    gold = project.root / "gold.jsonl"
    gold.write_text(
        "".join(
            f'{{"id": {n}, "title": "Encryption item {n}", "summary": "", "themes": []}}\n'
            for n in range(3)
        ),
        encoding="utf-8",
    )
    horizon = f"{sys.executable} -m horizon"
    pulled = _in_a_terminal(project, f"{horizon} pull --force")
    assert re.search(r"pull .*\d/1", pulled), pulled
    assert "Pulled 1 source(s): 1 ok" in pulled
    retagged = _in_a_terminal(project, f"{horizon} retag")
    assert re.search(r"retag .*\d/3", retagged), retagged
    assert "Re-tagged 3 item(s)" in retagged
    evaluated = _in_a_terminal(project, f"{horizon} tagger evaluate gold.jsonl")
    assert re.search(r"evaluate .*\d/3", evaluated), evaluated
    assert "macro-F1" in evaluated
    classified = _in_a_terminal(project, f"{horizon} tagger classify gold.jsonl > out.jsonl")
    assert re.search(r"classify .*\d/3", classified), classified
    lines = (project.root / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [0, 1, 2]
    on_screen = _in_a_terminal(project, f"{horizon} tagger classify gold.jsonl")
    assert "classify" not in on_screen and on_screen.count('"id"') == 3
    labelled = Path(__file__).parent / "data" / "tagging-dev.jsonl"
    (project.root / "dev.jsonl").write_text(
        "".join(labelled.read_text(encoding="utf-8").splitlines(keepends=True)[:60]),
        encoding="utf-8",
    )
    copied = _in_a_terminal(project, f"{horizon} backup copy.db")
    assert re.search(r"backup .*[\d.]+/[\d.]+ [kM]B", copied), copied
    assert "Backed up" in copied and (project.root / "copy.db").exists()
    digested = _in_a_terminal(project, f"{horizon} digest -p 2026 -o board.md")
    assert "digest" in digested and "reading 2026" in digested, digested
    assert (project.root / "board.md").read_text(encoding="utf-8").startswith("# ")
    on_screen = _in_a_terminal(project, f"{horizon} digest -p 2026 --no-record | head -3")
    assert "reading 2026" in on_screen  # stderr is still the terminal
    trained = _in_a_terminal(project, f"{horizon} tagger train --from dev.jsonl --min 1")
    assert "training: 5-fold cross-validation" in trained  # a spinner: no count to show
    assert "Model 1 trained on 60 decided item(s)" in trained
    # In pipes: no bar, and the same results.
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    for args, stderr in [
        (["retag"], "Re-tagged 3 item(s) with"),
        (["tagger", "evaluate", "gold.jsonl"], ""),
        (["tagger", "classify", "gold.jsonl"], ""),
        (["digest", "-p", "2026", "--no-record"], ""),
    ]:
        out = subprocess.run(
            [sys.executable, "-m", "horizon", *args],
            capture_output=True, text=True, env=env, cwd=project.root,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert out.stderr.startswith(stderr) and "━" not in out.stderr, out.stderr


def test_the_machine_s_trouble_is_named_not_reported_as_a_bug(project, monkeypatch, tmp_path):
    """A missing folder, a full disk, a store that refuses writes: a clear error naming the
    file (exit 1), not horizon's crash report; a digest that could not be written is not
    recorded as made."""
    import sqlite3

    from horizon import workspace

    seed(project, item("Encryption", guid="1"))
    out = tmp_path / "no-such-folder" / "digest.html"
    written = project.run("digest", "-p", "2026", "-f", "html", "-o", str(out))
    assert written.exit_code == 1
    assert written.stderr == f"Error: {out}: No such file or directory\n"
    assert project.run("digest", "list", "--json").stdout.strip() == "[]"
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    full = subprocess.run(
        f"{sys.executable} -m horizon items list --json > /dev/full",
        shell=True, capture_output=True, text=True, env=env, cwd=project.root,
    )  # fmt: skip
    assert full.returncode == 1
    assert full.stderr == "Error: cannot go on: No space left on device\n"

    opened = workspace.open_db

    def refusing_writes(path, **kwargs):
        db = opened(path, **kwargs)
        db.execute("PRAGMA query_only = 1")  # as a store on a read-only disk refuses them
        return db

    monkeypatch.setattr(workspace, "open_db", refusing_writes)
    monkeypatch.setattr("horizon.cli._write_crash_log", lambda exc: pytest.fail(str(exc)))
    refused = project.run("tag", "1", "--signal")
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {project.db_path}: attempt to write a readonly database\n"

    def mistaken(*args, **kwargs):
        raise sqlite3.OperationalError("no such column: mistake")  # SQLITE_ERROR: ours

    monkeypatch.setattr("horizon.queries.list_items", mistaken)
    monkeypatch.setenv("HORIZON_DEBUG", "1")  # a bug is raised as it is, for the test to see
    with pytest.raises(sqlite3.OperationalError, match="mistake"):
        project.run("items", "list")


HUGE = str(10**21)  # beyond SQLite's integers


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["items", "list", "--limit", HUGE], "less than or equal to 9223372036854775807"),
        (["items", "show", HUGE], "less than or equal to 9223372036854775807"),
        (["items", "history", HUGE], "less than or equal to 9223372036854775807"),
        (["tag", HUGE, "--signal"], "less than or equal to 9223372036854775807"),
        (["digest", "show", HUGE], "less than or equal to 9223372036854775807"),
        (["digest", "--unreviewed", HUGE], "less than or equal to 9223372036854775807"),
        (["sources", "show", "f", "--limit", "0"], "greater than or equal to 1"),
        (["items", "list", "--since", "99999999d"], "'99999999d' reaches back before the year 1"),
        (["tag", "1", "--review-by", "+99999999d"], "'+99999999d' reaches past the year 9999"),
        (["tag", "1", "--review-by", "+99999m"], "'+99999m' reaches past the year 9999"),
        (["digest", "-p", "0001-W01"], "the year must be from 1900 to 8999"),
        (["digest", "-p", "9999-12"], "the year must be from 1900 to 8999"),
        (["digest", "--from", "2026-01-01", "--to", "9999-12-31"], "the year must be from"),
    ],
)
def test_numbers_and_dates_out_of_range_are_usage_errors(project, args, said):
    """Ids, limits and dates past what SQLite or the calendar can hold: exit 2, the reason."""
    seed(project, item("A", guid="1"))
    result = project.run(*args)
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.stderr.replace("│", " ").split())


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_in_a_locale_that_is_not_utf8(project, encoding):
    """A terminal or pipe that cannot hold every character (a Latin-1 locale, ASCII) gets
    escapes in tables and CSV, and JSON that stays exact; the command never stops on it."""
    seed(project, item("Massenüberwachung – Чатконтроль", guid="1"))
    env = {
        **os.environ,
        "PYTHONIOENCODING": encoding,
        "HORIZON_DB": str(project.db_path),
        "HORIZON_CONFIG": str(project.config),
    }

    def run(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "horizon", *args], capture_output=True, env=env, cwd=project.root
        )
        assert out.returncode == 0, out.stderr
        assert out.stderr == b""
        return out.stdout.decode(encoding)

    assert "\\u0427\\u0430\\u0442" in run("items", "list")  # Чат, escaped
    assert (
        json.loads(run("items", "list", "--json"))[0]["title"] == "Massenüberwachung – Чатконтроль"
    )
    shown = run("items", "show", "1")
    assert "Massen" in shown and "\\u2013" in shown


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["items", "list", "--source", "nf"], "--source: no source 'nf' in the store"),
        (["items", "search", "A", "--source", "nf"], "--source: no source 'nf' in the store"),
        (["retag", "--source", "nf"], "--source: no source 'nf' in the store"),  # "0 item(s)"
        (["items", "list", "--topic", "encyption"], "unknown topic 'encyption'"),
        (["items", "search", "A", "--topic", "encyption"], "unknown topic 'encyption'"),
        (["tag", "1", "--theme", "legislation", "--remove-theme", "legislation"], "both name"),
    ],
)
def test_a_mistyped_name_is_an_error_not_an_empty_list(project, args, said):
    seed(project, item("A", guid="1"))
    result = project.run(*args)
    assert result.exit_code == 2 and said in result.stderr, result.output
    assert project.run("items", "list", "--source", "f", "--json").exit_code == 0  # the real one
