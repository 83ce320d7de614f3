"""`horizon demo`: offline, self-contained, repeatable, and never near the user's real store."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import env_without

# Used where network namespaces are not available: every connection attempt fails loudly.
NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network disabled for this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
socket.create_connection = refuse
from horizon.cli import main
sys.argv = ["horizon", *sys.argv[1:]]
main()
"""


def offline(args: list[str]) -> list[str]:
    """The command run with networking disabled for the process."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rn", sys.executable, "-m", "horizon", *args]  # no interfaces at all
    return [sys.executable, "-c", NO_NETWORK, *args]


@pytest.mark.slow
def test_demo_runs_offline_and_leaves_the_real_store_alone(tmp_path):
    real_db = tmp_path / "real" / "horizon.db"
    real_config = tmp_path / "real" / "feeds.yaml"
    real_config.parent.mkdir()
    real_config.write_text("sources:\n  - id: x\n    url: https://example.org/feed\n")
    env = {**os.environ, "HORIZON_DB": str(real_db), "HORIZON_CONFIG": str(real_config)}
    out = tmp_path / "try"
    result = subprocess.run(
        offline(["demo", "--out", str(out)]),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert not real_db.exists()  # the real store was never opened
    assert real_config.read_text().startswith("sources:\n  - id: x")
    html = (out / "digest.html").read_text(encoding="utf-8")
    md = (out / "digest.md").read_text(encoding="utf-8")
    for theme in ("technology", "human-behaviour", "legislation", "organisational"):
        assert f'<section id="theme-{theme}">' in html
    for heading in (
        "## Technology",
        "## Human behaviour",
        "## Legislation and procedures",
        "## Organisational",
    ):
        assert heading in md
    assert "\\[demo\\] " in md and "Apple" in md and "VDS" in md  # notes, escaped
    # HORIZON_DB is set, so the next steps name the demo's own files explicitly.
    assert "--db try/horizon.db" in result.stdout
    db = sqlite3.connect(out / "horizon.db")
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert items > 200
    assert db.execute("SELECT count(DISTINCT source_id) FROM items").fetchone()[0] == 8
    decided = db.execute("SELECT analyst, count(*) FROM reviews GROUP BY analyst").fetchall()
    assert decided == [("demo", 7)]
    notes = [n for (n,) in db.execute("SELECT note FROM reviews")]
    assert all(n.startswith("[demo] ") for n in notes)
    assert db.execute("SELECT count(*) FROM digests").fetchone()[0] == 2


def test_demo_again_replaces_the_demo_and_refuses_other_folders(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from horizon.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = env_without("HORIZON_DB", "HORIZON_CONFIG")
    first = runner.invoke(app, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "cd horizon-demo" in first.stdout
    again = runner.invoke(app, ["demo"], env=env)
    assert again.exit_code == 0, again.output
    db = sqlite3.connect(tmp_path / "horizon-demo" / "horizon.db")
    assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == 7  # not 14: rebuilt
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = runner.invoke(app, ["demo", "--out", str(mine)], env=env)
    assert refused.exit_code == 2
    assert "mine: the folder is not empty and was not made by `horizon demo`" in refused.output
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1
