"""Prove it survives: hostile servers and content in one run, private-address redirects, TLS,
crashes at random points, concurrent use, and fuzzed configuration."""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from horizon.cli import app
from horizon.config import load_config
from horizon.errors import ConfigError
from horizon.opml import read_opml
from tests.conftest import REAL, fast_fetch
from tests.httpserver import (
    FeedServer,
    Route,
    endless,
    gzip_bomb,
    hang,
    huge,
    redirect,
    reset_midway,
    trickle,
)

GOOD = REAL / "nixos-news.xml"  # 99 items
ESC_TITLE = (
    "Owned \x1b[31mred\x1b[0m \x1b[2J\x1b[H\x1b]8;;http://evil.example\x07link\x1b]8;;\x07"
    " \x1b]52;c;cm0gLXJmIH4=\x07 done"
)


def rss(items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    ).encode("utf-8", "surrogateescape")


def item(
    guid: str, title: str, date: str = "Mon, 02 Nov 2026 10:00:00 GMT", desc: str = "text"
) -> str:
    return (
        f"<item><guid>{guid}</guid><title>{title}</title><description>{desc}</description>"
        f"<pubDate>{date}</pubDate></item>"
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>lol</title><item><guid>1</guid><title>&lol9;</title>
</item></channel></rss>"""


def xxe(secret: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<rss version="2.0"><channel><title>x</title><item><guid>1</guid>'
        "<title>leak &xxe;</title><description>&xxe;</description></item></channel></rss>"
    ).encode()


def hostile_routes(server: FeedServer, secret: Path) -> dict[str, tuple[Route, str | None]]:
    """Path -> (route, the error class it must produce, or None when it must be stored)."""
    latin = (
        rss(item("1", "Caf\xe9 cr\xe8me", desc="na\xefve"))
        .replace("é".encode(), b"\xe9")
        .replace("è".encode(), b"\xe8")
        .replace("ï".encode(), b"\xef")
    )
    return {
        "/hang": (Route(handler=hang()), "timeout"),
        "/trickle": (Route(handler=trickle(GOOD.read_bytes()[:2000], interval=1.0)), "timeout"),
        "/2gib": (Route(handler=huge(2 * 1024**3)), "too-large"),
        "/endless": (Route(handler=endless()), "too-large"),
        "/gzip-bomb": (Route(handler=gzip_bomb(1024**3)), "too-large"),
        "/500": (Route(status=500, body=b"boom"), "http-5xx"),
        "/503": (Route(status=503, headers={"Retry-After": "86400"}), "http-5xx"),
        "/429": (Route(status=429, headers={"Retry-After": "120"}), "http-4xx"),
        "/loop": (Route(handler=redirect("/loop2")), "redirect"),
        "/loop2": (Route(handler=redirect("/loop")), None),
        "/to-file": (Route(handler=redirect(f"{secret.as_uri()}")), "blocked"),
        "/to-ftp": (Route(handler=redirect("ftp://example.org/feed")), "blocked"),
        "/to-gopher": (Route(handler=redirect("gopher://example.org/1")), "blocked"),
        "/reset": (Route(handler=reset_midway(GOOD.read_bytes())), "connect"),
        "/no-type": (Route(body=GOOD.read_bytes(), content_type=None), "ok"),
        "/text-plain": (Route(body=GOOD.read_bytes(), content_type="text/plain"), "ok"),
        "/html": (
            Route(body=b"<!DOCTYPE html><html><body>Hi</body></html>", content_type="text/html"),
            "not-a-feed",
        ),
        "/empty": (Route(body=b""), "not-a-feed"),
        "/50mb": (Route(body=rss(item("1", "big", desc="x" * (50 * 1024 * 1024)))), "too-large"),
        "/laughs": (Route(body=BILLION_LAUGHS), "any"),
        "/xxe": (Route(body=xxe(secret)), "any"),
        "/bad-utf8": (
            Route(body=rss(item("1", "ok title")).replace(b"ok title", b"bad \xff\xfe title")),
            "stored",
        ),
        "/mislabelled": (Route(body=latin), "stored"),
        "/dup-guids": (
            Route(body=rss(item("same", "A") + item("same", "B") + item("same", "C"))),
            "stored",
        ),
        "/dates": (
            Route(
                body=rss(
                    item("1", "future", "Mon, 02 Nov 2999 10:00:00 GMT")
                    + item("2", "ancient", "Mon, 02 Nov 1899 10:00:00 GMT")
                    + item("3", "garbage", "yesterday-ish")
                )
            ),
            "stored",
        ),
        "/escapes": (Route(body=rss(item("1", ESC_TITLE, desc=ESC_TITLE))), "stored"),
    }


def run_cli(project, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    return subprocess.run(
        [sys.executable, "-m", "horizon", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_every_hostile_server_and_content_in_one_run(project, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET-MARKER\n")
    tls_server = FeedServer(tls=True)
    server = FeedServer()
    try:
        routes = hostile_routes(server, secret)
        sources = []
        for path, (route, _) in routes.items():
            server.routes[path] = route
            if path == "/loop2":
                continue
            sources.append({"id": path.strip("/"), "url": server.url(path)})
        server.file("/good1.xml", GOOD)
        server.file("/good2.xml", REAL / "theregister-science-2019.xml")
        tls_server.file("/tls.xml", GOOD)
        sources += [
            {"id": "good1", "url": server.url("/good1.xml")},
            {"id": "good2", "url": server.url("/good2.xml")},
            {"id": "tls", "url": tls_server.url("/tls.xml")},
            {"id": "dns", "url": "http://no-such-host.invalid/feed.xml"},
        ]
        project.write_config(
            sources,
            fetch={
                "connect_timeout": "3s",
                "read_timeout": "3s",
                "budget": "6s",
                "max_bytes": "10MiB",
            },
        )
        started = time.monotonic()
        result = run_cli(project, "pull", "--json")
        elapsed = time.monotonic() - started
    finally:
        server.close()
        tls_server.close()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert result.returncode == 1, result.stderr
    summary = {s["source"]: s for s in json.loads(result.stdout)["sources"]}
    expected = {path.strip("/"): exp for path, (_, exp) in routes.items() if path != "/loop2"}
    expected.update(good1="ok", good2="ok", tls="tls", dns="dns")
    for source, exp in expected.items():
        got = summary[source]
        if exp in ("ok", "stored"):
            assert got["status"] in ("ok", "parse-warning"), (source, got)
            assert got["new"] >= 1, (source, got)
        elif exp != "any":
            assert got["error_class"] == exp, (source, got)
        # every source finished within its budget (plus time to parse and store)
        assert got["duration_ms"] < 6000 + 5000, (source, got)
    assert summary["good1"]["new"] == 99 and summary["good2"]["new"] == 2
    assert "Retry-After" in summary["503"]["next_fetch_reason"]
    assert summary["dup-guids"]["new"] == 3
    assert elapsed < 60, elapsed  # not a speed test: nothing may hang the run
    assert peak_mb < 600, peak_mb  # a 2 GiB body, a gzip bomb and 50 MB never sit in memory
    db = sqlite3.connect(project.db_path)
    dump = "\n".join(str(row) for row in db.execute("SELECT title, text, content FROM items"))
    assert "TOP-SECRET-MARKER" not in dump  # XXE never reads a local file
    assert "lol" * 1000 not in dump  # entities were never expanded a billion times
    dates = dict(
        db.execute(
            "SELECT title, published_estimated FROM items WHERE source_id = 'dates'"
        ).fetchall()
    )
    assert dates == {"future": 1, "ancient": 1, "garbage": 1}
    mislabelled = db.execute("SELECT title FROM items WHERE source_id = 'mislabelled'").fetchone()
    assert mislabelled[0].startswith("Caf")
    for stream in (
        result.stdout,
        result.stderr,
        run_cli(project, "items", "list").stdout,
        run_cli(project, "sources", "list").stdout,
    ):
        assert "\x1b" not in stream and "\x07" not in stream


def test_redirect_from_public_to_private_is_blocked(project, server, monkeypatch):
    """The source's own address is trusted config; a redirect into loopback or a private
    network from a public address is not (unless allow_private)."""
    import horizon.fetch as fetch

    real = fetch.address_is_private
    monkeypatch.setattr(
        fetch,
        "address_is_private",
        lambda address: False if address == "127.0.0.1" else real(address),
    )
    server.file("/feed.xml", GOOD)
    server.routes["/to-localhost"] = Route(handler=redirect(server.url("/feed.xml", "localhost")))
    server.routes["/to-private"] = Route(handler=redirect("http://10.11.12.13/feed.xml"))
    server.routes["/to-metadata"] = Route(handler=redirect("http://169.254.169.254/latest"))
    project.write_config(
        [
            {"id": "loop", "url": server.url("/to-localhost")},
            {"id": "private", "url": server.url("/to-private")},
            {"id": "metadata", "url": server.url("/to-metadata")},
            {"id": "intranet", "url": server.url("/to-localhost"), "allow_private": True},
        ],
        fetch=fast_fetch(),
    )
    out = project.json("pull")
    by_id = {s["source"]: s for s in out["sources"]}
    for source in ("loop", "private", "metadata"):
        assert by_id[source]["error_class"] == "blocked", by_id[source]
        assert "allow_private" in by_id[source]["error"]
    assert by_id["intranet"]["new"] == 99


FOLLOWER = """
from horizon import hookimpl
from horizon.models import Fetched
from horizon.sources import SourceType


class Follower(SourceType):
    name = "follower"
    needs = "url"

    async def fetch(self, source, ctx):
        index = await ctx.get()
        link = index.body.decode().strip()
        return Fetched(documents=[await ctx.get(link)])


@hookimpl
def register_sources(register):
    register(Follower())
"""


def test_links_from_content_cannot_reach_private_addresses(project, server, monkeypatch):
    """A plugin that fetches a URL taken from a page gets the redirect rule: a public source's
    content cannot send horizon to loopback, a private network or a cloud metadata address."""
    import horizon.fetch as fetch

    real = fetch.address_is_private
    monkeypatch.setattr(
        fetch,
        "address_is_private",
        lambda address: False if address == "127.0.0.1" else real(address),
    )
    (project.root / "plugins").mkdir()
    (project.root / "plugins" / "follower.py").write_text(FOLLOWER)
    server.file("/feed.xml", GOOD)
    server.route("/metadata", body=b"http://169.254.169.254/latest/meta-data/")
    server.route("/loop", body=server.url("/feed.xml", "localhost").encode())
    server.route("/public", body=server.url("/feed.xml").encode())
    project.write_config(
        [
            {"id": "metadata", "type": "follower", "url": server.url("/metadata")},
            {"id": "loop", "type": "follower", "url": server.url("/loop")},
            {"id": "public", "type": "follower", "url": server.url("/public")},
        ],
        fetch=fast_fetch(),
    )
    by_id = {s["source"]: s for s in project.json("pull")["sources"]}
    for source in ("metadata", "loop"):
        assert by_id[source]["error_class"] == "blocked", by_id[source]
        assert "link from the public source" in by_id[source]["error"]
    assert by_id["public"]["error_class"] is None, by_id["public"]


@pytest.mark.slow
def test_hundred_thousand_items(project, server):
    body = rss(
        "".join(f"<item><guid>g{i}</guid><title>Item {i}</title></item>" for i in range(100_000))
    )
    server.route("/big.xml", body=body)
    project.write_config(
        [{"id": "big", "url": server.url("/big.xml")}],
        fetch=fast_fetch(budget="60s", max_bytes="20MiB"),
    )
    result = run_cli(project, "pull", "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sources"][0]["new"] == 100_000
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1500, peak_mb


def many_file_sources(project, count: int) -> dict[str, int]:
    """`count` file sources, each a copy of a real feed; returns source -> item count."""
    import io
    import warnings

    import feedparser

    feeds = sorted(REAL.glob("*.xml"))
    expected = {}
    sources = []
    for index in range(count):
        path = feeds[index % len(feeds)]
        target = project.root / f"f{index:02d}.xml"
        target.write_bytes(path.read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = feedparser.parse(io.BytesIO(path.read_bytes()))
        expected[f"s{index:02d}"] = len(
            {(e.get("id"), e.get("title"), e.get("link"), e.get("summary")) for e in parsed.entries}
        )
        sources.append({"id": f"s{index:02d}", "type": "file", "path": target.name})
    project.write_config(sources, fetch=fast_fetch())
    return expected


def store_state(db_path: Path) -> dict[str, object]:
    db = sqlite3.connect(db_path)
    return {
        "items": sorted(db.execute("SELECT source_id, key, title, content_hash FROM items")),
        "tags": sorted(
            db.execute(
                "SELECT i.source_id, i.key, t.kind, t.value, t.origin FROM "
                "item_tags t JOIN items i ON i.id = t.item_id"
            )
        ),
        "reviews": sorted(
            db.execute(
                "SELECT i.source_id, i.key, r.status, r.note FROM reviews r "
                "JOIN items i ON i.id = r.item_id"
            )
        ),
    }


@pytest.mark.slow
def test_sigkill_at_random_points_never_corrupts_or_half_stores(project, tmp_path):
    expected = many_file_sources(project, 20)
    # A reference store from an uninterrupted run, with an analyst decision in it.
    reference = tmp_path / "reference.db"
    env_ref = {**os.environ, "HORIZON_DB": str(reference), "HORIZON_CONFIG": str(project.config)}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "horizon", "pull", "--force"],
        env=env_ref,
        check=True,
        capture_output=True,
        timeout=300,
    )
    duration = time.monotonic() - started
    subprocess.run(
        [sys.executable, "-m", "horizon", "tag", "1", "--signal", "--note", "keep"],
        env=env_ref,
        check=True,
        capture_output=True,
    )
    # The store under test: a first item stored and decided, then 20 killed pulls.
    first = run_cli(project, "pull", "s00")
    assert first.returncode in (0, 1), first.stderr
    assert run_cli(project, "tag", "1", "--signal", "--note", "keep").returncode == 0
    rng = random.Random(1234)
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-m", "horizon", "pull", "--force"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, max(0.6, duration)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        db = sqlite3.connect(project.db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(db.execute("SELECT source_id, count(*) FROM items GROUP BY source_id"))
        for source, count in counts.items():
            assert count == expected[source], (source, count)  # all or nothing per source
        fetched = {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT source_id FROM fetches WHERE status IN ('ok', 'parse-warning')"
            )
        }
        assert set(counts) <= fetched | {"s00"}
        review = db.execute("SELECT status, note FROM reviews WHERE item_id = 1").fetchone()
        assert review == ("signal", "keep")
        db.close()
    final = run_cli(project, "pull", "--force")
    assert final.returncode in (0, 1), final.stderr
    assert store_state(project.db_path) == store_state(reference)


@pytest.mark.slow
def test_second_pull_exits_75_and_analysts_are_never_locked_out(project, server):
    body = GOOD.read_bytes()
    sources = []
    for i in range(6):
        server.routes[f"/slow{i}"] = Route(body=body, delay=3.0)
        sources.append({"id": f"slow{i}", "url": server.url(f"/slow{i}")})
    server.file("/fast.xml", REAL / "theregister-science-2019.xml")
    sources.append({"id": "fast", "url": server.url("/fast.xml")})
    project.write_config(
        sources, fetch=fast_fetch(per_host=1, concurrency=2, budget="30s", read_timeout="10s")
    )
    assert run_cli(project, "pull", "fast").returncode == 0
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    running = subprocess.Popen(
        [sys.executable, "-m", "horizon", "pull", "--force"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        started = time.monotonic()
        second = run_cli(project, "pull")
        assert second.returncode == 75 and "another horizon pull is running" in second.stderr
        assert time.monotonic() - started < 15  # at once, not after the first one finishes
        for n in range(15):  # analysts keep working while the pull writes
            tagged = run_cli(project, "tag", "1", "--note", f"note {n}", "--analyst", "ann")
            assert tagged.returncode == 0, tagged.stderr
            assert "locked" not in tagged.stderr
    finally:
        _, err = running.communicate(timeout=120)
    assert running.returncode == 0, err
    assert "locked" not in err


# -- bad configuration, fuzzed ------------------------------------------------------------

KEYS = [
    "id",
    "name",
    "type",
    "url",
    "path",
    "interval",
    "themes",
    "enabled",
    "headers",
    "allow_private",
    "organisation",
    "language",
    "stale_after",
    "x",
    "ulr",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["rss", "file", "jsonfeed", "6h", "-1h", "http://x", "ftp://y", "../../etc"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
source = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
document = st.one_of(
    values,
    st.fixed_dictionaries(
        {"sources": st.one_of(st.lists(source, max_size=4), values)},
        optional={
            "fetch": st.dictionaries(
                st.sampled_from(["concurrency", "budget", "max_bytes", "nope"]), values, max_size=3
            ),
            "database": values,
            "defaults": values,
            "retention": values,
            "taxonomy": values,
            "digest": values,
        },
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document)
def test_fuzzed_feeds_yaml_gives_clear_errors(tmp_path, data):
    from horizon.plugins import load_plugins

    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    types = load_plugins(None).collect("register_sources", "source type")
    try:
        load_config(path, types)
    except ConfigError as exc:
        assert str(exc).startswith("feeds.yaml"), str(exc)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.binary(max_size=400)
    | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace"))
    | st.builds(
        lambda a, b: f'<opml version="2.0"><body><outline {a} xmlUrl="{b}"/></body></opml>'.encode(
            "utf-8", "replace"
        ),
        st.text(max_size=30),
        st.text(max_size=40),
    )
)
def test_fuzzed_opml_gives_clear_errors(tmp_path, data):
    path = tmp_path / "in.opml"
    path.write_bytes(data)
    try:
        read_opml(path)
    except ConfigError as exc:
        assert "in.opml" in str(exc)


def test_raw_yaml_garbage(tmp_path):
    for text in [
        "sources: [",
        "\t- a",
        "a: b: c",
        "sources:\n  - id: a\n    url: *nope\n",
        "\x00\x01",
        "{" * 50,
    ]:
        path = tmp_path / "feeds.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_config(path, {})
        assert str(info.value).startswith("feeds.yaml")


def test_files_with_no_end_are_refused_not_read_into_memory(project, tmp_path):
    """A file whose size on disk says nothing (/dev/zero: endless; a pipe): feeds.yaml, an
    OPML file, a `file` source and JSON Lines are each read with a bound and refused past it."""
    project.write_config(
        [
            {"id": "endless", "type": "file", "path": "/dev/zero"},
            {"id": "fine", "type": "file", "path": str(REAL / "aktuality-sk.xml")},
        ]
    )
    pulled = project.run("pull", "--json")
    assert pulled.exit_code == 1, pulled.output
    failed = {s["source"]: s for s in json.loads(pulled.stdout)["sources"]}
    assert failed["endless"]["error_class"] == "too-large"
    assert "/dev/zero: over the 10.0 MiB limit" in failed["endless"]["error"]
    assert failed["fine"]["status"] == "ok"
    config = project.runner.invoke(app, ["--config", "/dev/zero", "sources", "list"])
    assert config.exit_code == 2
    assert config.stderr == "Error: /dev/zero: over 20.0 MiB, too large to be config\n"
    opml = project.run("sources", "import-opml", "/dev/zero")
    assert opml.exit_code == 2 and "/dev/zero: over 50.0 MiB" in opml.stderr
