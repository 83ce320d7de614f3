"""`horizon pull` against a real server on 127.0.0.1: politeness, and every failure classified
and recorded while the other sources in the same run are stored."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REAL, fast_fetch
from tests.httpserver import Route, hang, redirect, trickle

GOOD = "nixos-news.xml"  # 99 items


def items_of(project, source_id):
    db = project.db()
    return db.execute("SELECT count(*) FROM items WHERE source_id = ?", [source_id]).fetchone()[0]


def source_row(project, source_id):
    return next(project.db().query("SELECT * FROM sources WHERE id = ?", [source_id]))


def last_fetch(project, source_id):
    return next(
        project.db().query(
            "SELECT * FROM fetches WHERE source_id = ? ORDER BY id DESC LIMIT 1", [source_id]
        )
    )


def run_with_bad(project, server, feed_source, bad_route: Route, **fetch):
    """One good source and one bad one in the same run."""
    server.routes["/bad"] = bad_route
    project.write_config(
        [feed_source("good", GOOD), {"id": "bad", "url": server.url("/bad")}],
        fetch=fast_fetch(**fetch),
    )
    result = project.run("pull", "--json")
    assert items_of(project, "good") == 99, "the good source must be stored whatever the bad did"
    return result


@pytest.mark.parametrize(
    ("route", "error_class", "message"),
    [
        (Route(status=500, body=b"oops"), "http-5xx", "HTTP 500"),
        (Route(status=404, body=b"nope"), "http-4xx", "HTTP 404 Not Found"),
        (Route(status=410), "gone", "gone"),
        (Route(handler=redirect("/bad")), "redirect", "redirect loop"),
        (Route(handler=redirect("file:///etc/passwd")), "blocked", "only http and https"),
        (Route(handler=redirect("gopher://example.org/")), "blocked", "gopher"),
        (
            Route(
                body=(CORPUS / "real-nonfeed/html-homepage-instead-of-feed.html").read_bytes(),
                content_type="text/html",
            ),
            "not-a-feed",
            "Content-Type text/html",
        ),
        (
            Route(
                body=(CORPUS / "real-nonfeed/php-warning-instead-of-feed.txt").read_bytes(),
                content_type="text/html",
            ),
            "not-a-feed",
            "starts with '<br />",
        ),
        (
            Route(body=(CORPUS / "real-nonfeed/gzip-body-not-decoded-rss10-ja.bin").read_bytes()),
            "not-a-feed",
            "gzip",
        ),
        (Route(body=b""), "not-a-feed", "empty"),
        (
            Route(
                body=b'<rss version="2.0"><channel><title>t</title><<<>>>', content_type="text/xml"
            ),
            "parse",
            "malformed",
        ),
        (Route(body=b"x" * 300_000), "too-large", "limit"),
        (Route(handler=hang()), "timeout", "timed out"),
        (Route(handler=trickle(b"<rss>" + b" " * 100, interval=0.3)), "timeout", "budget"),
    ],
    ids=[
        "500",
        "404",
        "410",
        "loop",
        "file-scheme",
        "gopher",
        "html",
        "php",
        "gzip-undecoded",
        "empty",
        "malformed",
        "oversize",
        "hang",
        "trickle",
    ],
)
def test_fault_is_classified_and_others_stored(
    project, server, feed_source, route, error_class, message
):
    result = run_with_bad(
        project, server, feed_source, route, max_bytes=200_000, read_timeout="1s", budget="3s"
    )
    assert result.exit_code == 1
    fetch = last_fetch(project, "bad")
    assert fetch["status"] == "error"
    assert fetch["error_class"] == error_class
    assert message in fetch["error"]
    row = source_row(project, "bad")
    assert row["last_status"] == error_class
    assert row["consecutive_failures"] == 1
    assert f"bad: {error_class}:" in result.stderr


def test_malformed_feed_with_entries_is_stored_with_warning(project, feed_source):
    project.write_config([feed_source("bozo", "ozgecatal-tr-rss092-bozo.xml")], fetch=fast_fetch())
    assert project.run("pull").exit_code == 0
    assert items_of(project, "bozo") == 5
    fetch = last_fetch(project, "bozo")
    # a host's <script> after </rss>: cut, and said
    assert fetch["status"] == "parse-warning"
    assert "ignored 89 bytes after the end of the feed: '<script" in fetch["error"]
    listing = project.json("sources", "list")
    assert listing[0]["status"] == "parse-warning"


def test_wrong_content_type_still_parses(project, server, feed_source):
    project.write_config(
        [feed_source("x", GOOD, content_type="text/html; charset=utf-8")], fetch=fast_fetch()
    )
    assert project.run("pull").exit_code == 0
    assert items_of(project, "x") == 99


def test_gzip_encoding_is_decoded(project, server, feed_source):
    project.write_config([feed_source("x", GOOD, gzip=True)], fetch=fast_fetch())
    assert project.run("pull").exit_code == 0
    assert items_of(project, "x") == 99
    assert "gzip" in server.hits_for("/x.xml")[0].headers["accept-encoding"]


def test_gzip_bomb_is_too_large_not_out_of_memory(project, server, feed_source):
    bomb = gzip.compress(b"<rss>" + b" " * (50 * 1024 * 1024))
    assert len(bomb) < 100_000
    result = run_with_bad(
        project,
        server,
        feed_source,
        Route(body=bomb, headers={"Content-Encoding": "gzip"}),
        max_bytes=1_000_000,
    )
    assert result.exit_code == 1
    assert last_fetch(project, "bad")["error_class"] == "too-large"


def test_conditional_get_and_unchanged_body(project, server, feed_source):
    project.write_config(
        [
            feed_source("etag", GOOD),
            feed_source("noval", "golem-de-2018-10.xml", etag=False, last_modified=None),
        ],
        fetch=fast_fetch(),
    )
    assert project.run("pull").exit_code == 0
    second = project.json("pull", "--force")
    by_id = {s["source"]: s for s in second["sources"]}
    # --force skips validators and re-parses: nothing new, nothing duplicated
    assert by_id["etag"]["new"] == 0 and by_id["etag"]["unchanged"] == 99
    # Without --force: every source is due again only after its interval, so pull by id.
    third = project.json("pull", "etag", "noval")
    by_id = {s["source"]: s for s in third["sources"]}
    assert by_id["etag"]["status"] == "not-modified"
    assert server.hits_for("/etag.xml")[-1].headers["if-none-match"].startswith('"')
    assert by_id["noval"]["status"] == "unchanged"  # same body hash: no parse
    assert items_of(project, "etag") == 99
    assert items_of(project, "noval") == 40


def test_schedule_is_respected_and_explained(project, server, feed_source):
    project.write_config([feed_source("x", GOOD)], fetch=fast_fetch())
    project.run("pull")
    again = project.json("pull")
    assert again["sources"][0]["status"] == "skipped"
    assert "not due until" in again["sources"][0]["next_fetch_reason"]
    assert len(server.hits_for("/x.xml")) == 1
    fetch = last_fetch(project, "x")
    assert fetch["status"] == "skipped" and "interval" in fetch["next_fetch_reason"]


def test_retry_after_and_backoff(project, server, feed_source):
    server.routes["/busy"] = Route(status=503, headers={"Retry-After": "7200"})
    server.routes["/down"] = Route(status=500)
    project.write_config(
        [
            {"id": "busy", "url": server.url("/busy"), "interval": "10m"},
            {"id": "down", "url": server.url("/down"), "interval": "10m"},
        ],
        fetch=fast_fetch(backoff_cap="1h"),
    )
    out = project.json("pull")
    by_id = {s["source"]: s for s in out["sources"]}
    assert "Retry-After" in by_id["busy"]["next_fetch_reason"]
    assert by_id["down"]["next_fetch_reason"] == "backoff after 1 consecutive failure"
    for n in (2, 3, 4):
        out = project.json("pull", "--force")
        down = next(s for s in out["sources"] if s["source"] == "down")
        assert down["next_fetch_reason"] == f"backoff after {n} consecutive failures"
    row = source_row(project, "down")
    assert row["consecutive_failures"] == 4
    # 10m, 20m, 40m, then capped at 1h
    from horizon.textutil import from_iso

    gap = from_iso(row["next_fetch_at"]) - from_iso(row["last_fetch_at"])
    assert gap.total_seconds() == 3600


def test_failing_source_is_retried_and_recovers(project, server, feed_source):
    server.routes["/flaky"] = Route(status=500)
    project.write_config([{"id": "flaky", "url": server.url("/flaky")}], fetch=fast_fetch())
    assert project.run("pull").exit_code == 1
    server.file("/flaky", REAL / GOOD)
    assert project.run("pull", "--force").exit_code == 0
    row = source_row(project, "flaky")
    assert row["consecutive_failures"] == 0 and row["last_status"] == "ok"
    assert items_of(project, "flaky") == 99


def test_permanent_redirect_moves_source_after_n_pulls(project, server, feed_source):
    server.file("/new.xml", REAL / GOOD)
    server.routes["/old.xml"] = Route(handler=redirect("/mid.xml", 301))
    server.routes["/mid.xml"] = Route(handler=redirect("/new.xml", 308))
    project.write_config(
        [{"id": "m", "url": server.url("/old.xml")}], fetch=fast_fetch(moved_after=3)
    )
    for _ in range(2):
        assert project.run("pull", "--force").exit_code == 0
        assert source_row(project, "m")["effective_url"] is None
    assert project.run("pull", "--force").exit_code == 0
    row = source_row(project, "m")
    assert row["effective_url"] == server.url("/new.xml")
    history = list(project.db().query("SELECT * FROM source_urls WHERE source_id = 'm'"))
    assert history[-1]["previous_url"] == server.url("/old.xml")
    before = len(server.hits_for("/old.xml"))
    project.run("pull", "--force")
    assert len(server.hits_for("/old.xml")) == before  # now fetched at the new address
    assert items_of(project, "m") == 99
    listing = project.run("sources", "list")
    assert "(moved)" in listing.stdout


def test_temporary_redirect_does_not_move(project, server):
    server.file("/t.xml", REAL / GOOD)
    server.routes["/r.xml"] = Route(handler=redirect("/t.xml", 302))
    project.write_config(
        [{"id": "t", "url": server.url("/r.xml")}], fetch=fast_fetch(moved_after=1)
    )
    project.run("pull")
    project.run("pull", "--force")
    assert source_row(project, "t")["effective_url"] is None


def test_user_agent_and_custom_headers(project, server, feed_source):
    entry = feed_source("ua", GOOD)
    entry["headers"] = {"X-Api-Key": "k1"}
    project.write_config([entry], contact="https://vgt.example/horizon", fetch=fast_fetch())
    project.run("pull")
    headers = server.hits_for("/ua.xml")[0].headers
    assert headers["user-agent"].startswith("horizon/")
    assert "+https://vgt.example/horizon" in headers["user-agent"]
    assert headers["x-api-key"] == "k1"


def test_dns_failure_is_classified(project, server, feed_source):
    project.write_config(
        [feed_source("good", GOOD), {"id": "nohost", "url": "http://no-such-host.invalid/feed"}],
        fetch=fast_fetch(),
    )
    assert project.run("pull").exit_code == 1
    assert last_fetch(project, "nohost")["error_class"] == "dns"
    assert items_of(project, "good") == 99


def test_connection_refused_is_classified(project, server, feed_source):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    project.write_config(
        [{"id": "closed", "url": f"http://127.0.0.1:{port}/feed"}], fetch=fast_fetch()
    )
    assert project.run("pull").exit_code == 1
    assert last_fetch(project, "closed")["error_class"] == "connect"


def test_many_slow_sources_run_concurrently(project, server):
    """Slow sources are fetched at once, up to the configured limit (measured at the server,
    not with a clock)."""
    body = (REAL / "theregister-science-2019.xml").read_bytes()
    sources = []
    for i in range(40):
        server.routes[f"/s{i}"] = Route(body=body, delay=0.5)
        sources.append({"id": f"s{i}", "url": server.url(f"/s{i}")})
    project.write_config(sources, fetch=fast_fetch(concurrency=20, per_host=20))
    out = project.json("pull")
    assert out["sources_ok"] == 40
    assert 10 <= server.max_in_flight <= 20


def test_per_host_limit(project, server):
    body = (REAL / "theregister-science-2019.xml").read_bytes()
    sources = []
    for i in range(12):
        server.routes[f"/h{i}"] = Route(body=body, delay=0.3)
        sources.append({"id": f"h{i}", "url": server.url(f"/h{i}")})
    project.write_config(sources, fetch=fast_fetch(concurrency=12, per_host=3))
    assert project.json("pull")["sources_ok"] == 12
    assert server.max_in_flight == 3


PARSED_APART = ["nixos-news.xml", "bbc-urdu.xml", "cloudflare-blog.xml", "daringfireball.xml"]


def stored(project):
    """What a pull stored and recorded, without what differs between two pulls (ids, times)."""
    db = project.db()
    items = list(
        db.query(
            "SELECT source_id, key, guid, url, title, summary, content, text, author, language, "
            "categories, content_hash, published_estimated FROM items ORDER BY source_id, key"
        )
    )
    fetches = list(
        db.query(
            "SELECT source_id, status, error_class, error, items_seen, items_new, parser "
            "FROM fetches ORDER BY source_id"
        )
    )
    return items, fetches


def pull_with(project, sources, workers, exit_code=0):
    project.write_config(sources, fetch=fast_fetch(parse_workers=workers))
    result = project.run("pull", "--json")
    assert result.exit_code == exit_code, result.output
    return stored(project)


def parsed_by(monkeypatch, marks, then=None):
    """Make the parse processes note their pid in `marks` (a fork inherits the patch)."""
    import os

    from horizon import pull

    real = pull.parse_feed

    def noted(*args):
        with marks.open("a") as out:
            out.write(f"{os.getpid()} {args[1]}\n")
        if then is not None:
            then()
        return real(*args)

    # Sent to a process by name (horizon.pull.parse_feed), where the fork has the patch too.
    noted.__module__, noted.__qualname__ = "horizon.pull", "parse_feed"
    monkeypatch.setattr(pull, "parse_feed", noted)


@pytest.mark.slow
def test_feeds_parsed_in_processes_are_stored_as_parsed_here(
    project, feed_source, server, monkeypatch, tmp_path
):
    """With parse processes the store ends up exactly as without: the same items, texts and
    fetch records, a broken feed's error included; a source type's own parse (the folder of
    files) stays on the store thread."""
    import os

    marks = tmp_path / "parsed-by"
    parsed_by(monkeypatch, marks)
    server.routes["/broken"] = Route(
        body=b"<rss><channel><item><title>x</ti", content_type="text/xml"
    )
    sources = [feed_source(f"s{i}", name) for i, name in enumerate(PARSED_APART)]
    sources[0]["language"] = "de"  # the source's settings reach the process too
    server.routes["/empty"] = Route(body=b"no feed here", content_type="application/rss+xml")
    sources.append({"id": "broken", "url": server.url("/broken")})
    sources.append({"id": "empty", "url": server.url("/empty")})
    sources.append({"id": "folder", "type": "file", "path": str(REAL / "nixos-news.xml")})
    apart = pull_with(project, sources, 2, exit_code=1)  # 1: a source failed
    runs = list(project.db().query("SELECT parse_workers, parse_workers_lost FROM runs"))
    assert runs == [{"parse_workers": 2, "parse_workers_lost": 0}]  # explained in the store
    pids = [line.split()[0] for line in marks.read_text().splitlines()]
    assert len(pids) == 6 and str(os.getpid()) not in pids  # every feed, none here
    assert "file" not in marks.read_text()  # the folder's own parse stayed here
    project.db_path.unlink()
    here = pull_with(project, sources, 0, exit_code=1)
    assert apart == here
    runs = list(project.db().query("SELECT parse_workers, parse_workers_lost FROM runs"))
    assert runs == [{"parse_workers": 0, "parse_workers_lost": 0}]  # the store was new
    statuses = {f["source_id"]: f["status"] for f in apart[1]}
    assert len(apart[0]) >= 300, "the four feeds' items, the folder's and the broken one's"
    assert statuses["broken"] == "parse-warning" and statuses["empty"] == "error", statuses


@pytest.mark.slow
def test_a_parse_process_that_dies_leaves_the_parsing_to_the_store_thread(
    project, feed_source, monkeypatch, tmp_path
):
    import os

    marks = tmp_path / "parsed-by"
    parsed_by(monkeypatch, marks, then=lambda: os._exit(3))  # as if the kernel killed it
    sources = [feed_source(f"s{i}", name) for i, name in enumerate(PARSED_APART)]
    items, fetches = pull_with(project, sources, 1)
    assert marks.read_text().count("rss") == 1  # one parse began in a process, and died
    runs = list(project.db().query("SELECT parse_workers, parse_workers_lost FROM runs"))
    assert runs == [{"parse_workers": 1, "parse_workers_lost": 1}]
    assert {f["status"] for f in fetches} <= {"ok", "parse-warning"}, fetches
    assert {i["source_id"] for i in items} == {f"s{i}" for i in range(len(PARSED_APART))}, fetches


@pytest.mark.slow
def test_a_pull_with_nothing_to_parse_starts_no_parse_process(project, feed_source, server):
    """The processes are forked for the first body that needs parsing: a week where every
    feed answers 'not modified' or sends the same bytes forks none, and the run says so."""
    sources = [feed_source(f"s{i}", name) for i, name in enumerate(PARSED_APART)]
    server.routes["/same"] = Route(body=(REAL / GOOD).read_bytes(), etag=False, last_modified=None)
    sources.append({"id": "same", "url": server.url("/same")})  # no validators: hashed
    pull_with(project, sources, 1)
    db = project.db()
    with db.conn:
        db.execute("UPDATE sources SET next_fetch_at = NULL")  # every source due again
    pull_with(project, sources, 1)
    runs = list(db.query("SELECT parse_workers, parse_workers_lost FROM runs ORDER BY id"))
    assert runs == [
        {"parse_workers": 1, "parse_workers_lost": 0},
        {"parse_workers": 0, "parse_workers_lost": 0},  # nothing needed parsing
    ]
    second = list(db.query("SELECT source_id, status FROM fetches WHERE run_id = 2"))
    assert {f["status"] for f in second} == {"not-modified", "unchanged"}, second
    assert {"source_id": "same", "status": "unchanged"} in second


def test_a_pull_that_cannot_fork_parses_on_the_store_thread(project, feed_source, monkeypatch):
    from horizon import pull

    def refuse(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")  # fork's EAGAIN

    monkeypatch.setattr(pull, "ProcessPoolExecutor", refuse)
    sources = [feed_source(f"s{i}", name) for i, name in enumerate(PARSED_APART)]
    items, fetches = pull_with(project, sources, 2)
    runs = list(project.db().query("SELECT parse_workers, parse_workers_lost FROM runs"))
    assert runs == [{"parse_workers": 0, "parse_workers_lost": 1}]
    assert {f["status"] for f in fetches} <= {"ok", "parse-warning"}, fetches
    assert {i["source_id"] for i in items} == {f"s{i}" for i in range(len(PARSED_APART))}


def test_the_closing_line_says_how_the_feeds_were_parsed():
    from horizon.commands.pull import _parsed_by

    assert _parsed_by(0, False) == ""  # none were needed, or none asked for
    assert _parsed_by(1, False) == " Feeds parsed in 1 parse process."
    assert _parsed_by(2, True) == (
        " Feeds parsed in 2 parse processes; they stopped, and this process parsed the rest."
    )
    assert "could not be started" in _parsed_by(0, True)


def test_how_many_parse_processes_a_pull_starts(monkeypatch):
    from horizon.pull import AUTO_PARSE_SOURCES, parse_workers

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert parse_workers(None, AUTO_PARSE_SOURCES - 1) == 0  # a small pull: not worth it
    assert parse_workers(None, AUTO_PARSE_SOURCES) == 4  # cores but one, at most 4
    assert parse_workers(0, 500) == 0 and parse_workers(2, 1) == 2  # as configured
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert parse_workers(None, 500) == 0


@pytest.mark.slow
def test_ctrl_c_during_a_pull_with_parse_processes_says_interrupted_and_nothing_else(
    project, server
):
    """Ctrl-C reaches the pull and its parse processes alike (one process group): the pull
    says it was interrupted, records the run so, and no process prints a traceback."""
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time

    body = (REAL / GOOD).read_bytes()
    sources = []
    for i in range(30):  # slow answers keep the pull going; its parse process is up at once
        server.routes[f"/s{i}"] = Route(
            body=body.replace(b"<channel>", f"<channel><!-- {i} -->".encode(), 1),
            # three answer only after a minute, so that even on a loaded machine the pull is
            # still going when Ctrl-C comes (the server's delays end when it stops)
            delay=60.0 if i % 10 == 9 else 0.2 * (i % 10),
        )
        sources.append({"id": f"s{i:02d}", "url": server.url(f"/s{i}")})
    fetch = fast_fetch(parse_workers=1, read_timeout="90s", budget="120s")
    project.write_config(sources, fetch=fetch)
    pull = subprocess.Popen(
        [sys.executable, "-m", "horizon", "--db", str(project.db_path), "pull"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )

    def children() -> str:
        found = ""
        for task in os.listdir(f"/proc/{pull.pid}/task"):
            with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
                found += (Path(f"/proc/{pull.pid}/task") / task / "children").read_text()
        return found.strip()

    for _ in range(500):  # until the parse process exists (at most 10 s)
        if children():
            break
        time.sleep(0.02)
    assert children(), "no parse process started"
    time.sleep(0.5)  # some sources parsed, others on their way
    os.killpg(pull.pid, signal.SIGINT)  # as a terminal sends Ctrl-C
    out, err = pull.communicate(timeout=60)
    assert pull.returncode == 130, err
    assert "interrupted" in err.decode() and "Traceback" not in err.decode() + out.decode()
    statuses = [r[0] for r in project.db().execute("SELECT status FROM runs")]
    assert statuses == ["interrupted"]


@pytest.mark.slow
def test_a_pull_on_a_terminal_says_it_parsed_in_processes(project, feed_source):
    """On a terminal the closing line says how the feeds were parsed; the store says it too."""
    import os
    import pty
    import subprocess
    import sys

    sources = [feed_source(f"s{i}", name) for i, name in enumerate(PARSED_APART)]
    project.write_config(sources, fetch=fast_fetch(parse_workers=1))
    primary, secondary = pty.openpty()
    pull = subprocess.Popen(
        [sys.executable, "-m", "horizon", "--db", str(project.db_path), "pull"],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm"},
    )
    os.close(secondary)  # the pull holds the terminal's only other end now
    said = b""
    while True:  # read as it writes (a full terminal would stop it), until it lets go
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the pull closed the terminal, all is read
            break
        if not chunk:
            break
        said += chunk
    os.close(primary)
    assert pull.wait(timeout=120) == 0, said
    assert b"Feeds parsed in 1 parse process." in said, said[-500:]


def test_a_feed_that_parses_for_too_long_is_stopped_and_the_pull_goes_on(
    project, feed_source, server, monkeypatch
):
    """feedparser's own e-mail pattern is quadratic: a DOCTYPE sends a feed to feedparser, and
    a million-character author would then keep the parse process busy for hours. The parse
    process stops it at the time limit; the source records a timeout and the others are
    stored."""
    from horizon import pull

    monkeypatch.setattr(pull, "PARSE_TIME_LIMIT", 2.0)
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel><title>t</title>'
        f"<item><title>x</title><guid>1</guid><author>{'a' * 1_000_000}</author></item>"
        "</channel></rss>"
    ).encode()
    server.routes["/hostile"] = Route(body=hostile, content_type="application/rss+xml")
    sources = [
        feed_source("good", "nixos-news.xml"),
        {"id": "hostile", "url": server.url("/hostile")},
    ]
    items, fetches = pull_with(project, sources, 1, exit_code=1)
    by_source = {f["source_id"]: f for f in fetches}
    assert by_source["good"]["status"] == "ok" and by_source["good"]["items_new"] > 0
    assert by_source["hostile"]["error_class"] == "timeout"
    assert "parsing took longer than 2s" in by_source["hostile"]["error"]
    assert not [i for i in items if i["source_id"] == "hostile"]
