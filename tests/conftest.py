"""Each test gets its own store, config and loopback HTTP server; nothing touches the internet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from horizon.cli import app
from tests.httpserver import FeedServer


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one worker more than there are cores. The slowest tests
    mostly wait (on child processes, on servers that answer slowly, on kills at random
    moments), so on 2 cores the suite takes about 4 min 15 s with 3 workers, 5 min 15 s with 2."""
    return (os.cpu_count() or 1) + 1


CORPUS = Path(__file__).parent / "corpus"
REAL = CORPUS / "real"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No installed third-party plugins, no real user data folder, no ambient config."""
    monkeypatch.setenv("HORIZON_LOAD_PLUGINS", "")
    for var in (
        "HORIZON_DB",
        "HORIZON_CONFIG",
        "HORIZON_PLUGINS_DIR",
        "HORIZON_ANALYST",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


@dataclass
class Project:
    """A temporary deployment: feeds.yaml + store, and a way to run the CLI on them."""

    root: Path
    runner: CliRunner

    @property
    def config(self) -> Path:
        return self.root / "feeds.yaml"

    @property
    def db_path(self) -> Path:
        return self.root / "horizon.db"

    def write_config(self, sources: list[dict[str, Any]], **top: Any) -> Path:
        data = {**top, "sources": sources}
        self.config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return self.config

    def run(self, *args: str, input: str | None = None) -> Any:
        return self.runner.invoke(
            app,
            ["--db", str(self.db_path), "--config", str(self.config), *args],
            input=input,
            catch_exceptions=False,
        )

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    def db(self) -> Any:
        from horizon.db import open_db

        return open_db(self.db_path)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "deploy"
    root.mkdir()
    return Project(root, CliRunner())


def fast_fetch(**overrides: Any) -> dict[str, Any]:
    """Fetch settings for tests: short timeouts so fault cases finish quickly."""
    settings: dict[str, Any] = {"connect_timeout": "2s", "read_timeout": "2s", "budget": "5s"}
    settings.update(overrides)
    return settings


@pytest.fixture
def feed_source(server: FeedServer) -> Callable[..., dict[str, Any]]:
    """Serve a real corpus feed and return its feeds.yaml entry."""

    def make(source_id: str, file: str | Path, **route: Any) -> dict[str, Any]:
        path = Path(file) if Path(file).is_absolute() else REAL / file
        url = server.file(f"/{source_id}.xml", path, **route)
        return {"id": source_id, "name": source_id, "type": "rss", "url": url}

    return make


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def dump_dom(url: str, profile: Path) -> str:
    """The DOM headless Chromium builds for `url` (skips, or fails under CI, without Chromium)."""
    browser = next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))),
        None,
    )
    if browser is None:
        if os.environ.get("HORIZON_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (HORIZON_REQUIRE_BROWSER is set) but not found")
        pytest.skip("chromium is not installed")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=2000",
        "--dump-dom",
    ]
    dom = subprocess.run([browser, *flags, url], capture_output=True, text=True, timeout=120).stdout
    assert "<html" in dom, "chromium produced no DOM"
    return dom
