"""Analysts' work: the interactive queue in a real pseudo-terminal, `horizon tag`, the audit
trail, concurrent reviewers, the watchlist, backups, and that nothing they enter is lost."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

import pexpect
import pytest

from horizon.db import open_db
from tests.conftest import fast_fetch

ITEMS = [
    (
        "Chat control: Council agrees position on detection orders",
        "Member states back scanning for child sexual abuse material.",
    ),
    (
        "Europol takes down darknet child abuse forum",
        "Police in 12 countries arrested administrators; Europol coordinated.",
    ),
    (
        "Sextortion of teenagers rises sharply, NCMEC says",
        "Reports of financial sextortion doubled.",
    ),
    ("CJEU rules on data retention of IP addresses", "The Court of Justice limited retention."),
    ("WeProtect Global Alliance summit agrees new priorities", "Ministers met in Abu Dhabi."),
    (
        "Meta rolls out default end-to-end encryption on Messenger",
        "Child-protection groups warn of lost reports.",
    ),
    ("Dog grooming salon opens downtown", "Pamper your pets."),
    ("Evil \x1b[31mred\x1b[0m \x1b]52;c;cm0gLXJm\x07 title", "Hostile text \x1b]8;;http://x\x07"),
]
HEADER = re.compile(r"horizon review · (\w+) · (\d+) left · item (\d+)")


def seed(project, items=ITEMS):
    body = "".join(
        f"<item><title><![CDATA[{t}]]></title><guid>g{i}</guid><link>https://ex.org/{i}</link>"
        f"<description><![CDATA[{d}]]></description>"
        f"<pubDate>Mon, 0{1 + i % 8} Nov 2026 10:00:00 GMT</pubDate></item>"
        for i, (t, d) in enumerate(items)
    )
    (project.root / "feed.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        f"{body}</channel></rss>",
        encoding="utf-8",
    )
    project.write_config([{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch())
    result = project.run("pull")
    assert result.exit_code == 0, result.output


def spawn_review(project, analyst: str, *extra: str) -> pexpect.spawn:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "TERM": "xterm",
        "COLUMNS": "140",
        "LINES": "60",
        "HORIZON_DB": str(project.db_path),
        "HORIZON_CONFIG": str(project.config),
        "BROWSER": f"{sys.executable} -c \"import sys; open('{project.root}/opened',"
        f"'a').write(sys.argv[1])\" %s",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "horizon", "review", "--analyst", analyst, *extra],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(60, 140),
    )
    return child


def wait_item(child: pexpect.spawn) -> int:
    """Wait for the next full item screen and return its item id."""
    child.expect(HEADER)
    item = int(child.match.group(3))
    child.expect("q quit")
    return item


def review_row(project, item_id):
    rows = list(
        open_db(project.db_path).query("SELECT * FROM reviews WHERE item_id = ?", [item_id])
    )
    return rows[0] if rows else None


@pytest.mark.slow
def test_review_in_a_real_terminal_then_kill_and_resume(project):
    seed(project)
    child = spawn_review(project, "alice")
    a = wait_item(child)
    child.send("s")
    b_screen = wait_item(child)
    assert b_screen == a  # signal keeps the item on screen for a note
    child.send("n")
    child.expect("So what")
    child.sendline("Board should watch the detection-order fight")
    assert wait_item(child) == a
    child.send("r")
    child.expect("Review by")
    child.sendline("+4w")
    assert wait_item(child) == a
    child.send("\r")  # confirm and next
    b = wait_item(child)
    child.send("x")  # noise and next
    c = wait_item(child)
    child.send("3")  # toggle legislation
    assert wait_item(child) == c
    child.send("f")
    assert wait_item(child) == c
    child.send("\r")
    d = wait_item(child)
    child.send(" ")  # skip
    e = wait_item(child)
    child.send("p")
    child.expect("fourp")
    child.sendline("pursue")
    assert wait_item(child) == e
    child.send("o")
    assert wait_item(child) == e
    child.send("\r")
    f = wait_item(child)
    os.kill(child.pid, signal.SIGKILL)
    child.close()
    assert len({a, b, c, d, e, f}) == 6

    alice_a = review_row(project, a)
    assert alice_a["status"] == "signal" and alice_a["analyst"] == "alice"
    assert alice_a["note"] == "Board should watch the detection-order fight"
    assert alice_a["review_by"] is not None
    assert review_row(project, b)["status"] == "noise"
    row_c = review_row(project, c)
    assert row_c["flagged"] == 1 and row_c["status"] == "reviewed"
    assert review_row(project, d) is None  # skipped: still unreviewed
    assert json.loads(review_row(project, e)["fourp"]) == ["pursue"]
    assert review_row(project, f) is None
    url = open_db(project.db_path).execute("SELECT url FROM items WHERE id = ?", [e]).fetchone()
    assert (project.root / "opened").read_text() == url[0]

    again = spawn_review(project, "alice")
    assert wait_item(again) == f  # resumes at the item that was open
    again.send("q")
    again.expect(pexpect.EOF)
    history = project.json("items", "history", str(a))
    assert [h["action"] for h in history] == ["signal", "note", "review-by", "confirm"]
    assert all(h["analyst"] == "alice" for h in history)


@pytest.mark.slow
def test_two_analysts_never_get_the_same_item(project):
    seed(project)
    alice = spawn_review(project, "alice")
    first_alice = wait_item(alice)
    bob = spawn_review(project, "bob")
    first_bob = wait_item(bob)
    assert first_alice != first_bob
    alice.send("x")
    next_alice = wait_item(alice)
    assert next_alice not in (first_alice, first_bob)
    bob.send("s")
    wait_item(bob)
    for child in (alice, bob):
        child.send("q")
        child.expect(pexpect.EOF)
    assert review_row(project, first_alice)["analyst"] == "alice"
    assert review_row(project, first_bob)["analyst"] == "bob"


@pytest.mark.slow
def test_review_screen_is_terminal_safe_and_has_help(project):
    seed(project, [ITEMS[-1]])
    child = spawn_review(project, "alice")
    wait_item(child)
    screen = child.before
    child.send("?")
    child.expect("Press any key")
    helptext = child.before
    for keys, _ in __import__("horizon.review_ui", fromlist=["KEYS"]).KEYS:
        assert keys in helptext
    child.send("q")
    child.send("q")
    child.expect(pexpect.EOF)
    assert "\x1b]52" not in screen and "\x1b]8;" not in screen and "\x1b[31m" not in screen
    assert "Evil red" in screen


def test_review_needs_a_terminal(project):
    seed(project)
    result = project.run("review")
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_undo_and_concurrent_decisions_in_process(project):
    from horizon import review

    seed(project)
    db = open_db(project.db_path)
    keys = iter(["s", "\r", "u", "u", "q"])
    with open(os.devnull, "w") as sink:
        session = _session(db, "carol", lambda: next(keys), sink)
        session.run()
    first = session.stats.seen[0]
    assert review.current(db, first)["status"] == "unreviewed"  # both decisions undone
    actions = [h["action"] for h in review.history(db, first)]
    assert actions[:2] == ["signal", "confirm"] and actions[2].startswith("undo")
    # Two analysts deciding the same item: both kept, the later one current.
    review.decide(
        db,
        first,
        "dave",
        review.Change(status="signal"),
        "signal",
        expected_revision=review.current(db, first)["revision"],
    )
    stale = review.current(db, first)["revision"] - 1
    review.decide(
        db, first, "erin", review.Change(status="noise"), "noise", expected_revision=stale
    )
    trail = review.history(db, first)
    assert trail[-2]["analyst"] == "dave" and trail[-1]["analyst"] == "erin"
    assert "concurrent decision" in trail[-1]["action"]
    assert review.current(db, first)["status"] == "noise"


def test_tag_command(project):
    seed(project)
    items = {i["title"]: i for i in project.json("items", "list")}
    chat = items[ITEMS[0][0]]["id"]
    result = project.run(
        "tag",
        str(chat),
        "--theme",
        "organisational",
        "--remove-theme",
        "technology",
        "--topic",
        "csa-regulation",
        "--signal",
        "--note",
        "so what",
        "--review-by",
        "2026-12-01",
        "--fourp",
        "Prevent",
        "--digest",
        "--analyst",
        "alice",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["themes"] == ["legislation", "organisational"]
    assert out["status"] == "signal" and out["flagged"] is True
    assert out["fourp"] == ["prevent"] and out["review_by"] == "2026-12-01"
    listed = project.json("items", "list", "--status", "signal", "--flagged", "--analyst", "alice")
    assert [i["id"] for i in listed] == [chat]
    assert listed[0]["note"] == "so what" and listed[0]["analyst"] == "alice"
    assert project.json("items", "list", "--status", "noise") == []
    trail = project.json("items", "history", str(chat))
    assert trail[0]["changes"]["status"] == {"from": "unreviewed", "to": "signal"}
    audit = open_db(project.db_path).execute("SELECT before, after FROM audit").fetchone()
    assert json.loads(audit[0])["status"] == "unreviewed"
    assert json.loads(audit[1])["note"] == "so what"
    for args, message in [
        (("999",), "no item with id 999"),
        ((str(chat), "--theme", "tech"), "unknown theme 'tech'"),
        ((str(chat), "--topic", "nope"), "unknown topic 'nope'"),
        ((str(chat), "--fourp", "pursuit"), "unknown 4P 'pursuit'"),
        ((str(chat), "--review-by", "soon"), "is not a date"),
        ((str(chat), "--signal", "--noise"), "choose one"),
    ]:
        bad = project.run("tag", *args)
        assert bad.exit_code == 2, args
        assert message in bad.stderr
    assert project.run("items", "list", "--status", "maybe").exit_code == 2


def test_confirm_with_no_options_and_env_analyst(project, monkeypatch):
    seed(project)
    monkeypatch.setenv("HORIZON_ANALYST", "frank")
    dog = next(i for i in project.json("items", "list") if i["title"].startswith("Dog"))
    out = json.loads(project.run("tag", str(dog["id"]), "--json").stdout)
    assert out["analyst"] == "frank" and out["status"] == "reviewed" and out["themes"] == []


def test_watchlist(project):
    seed(project)
    ids = [i["id"] for i in project.json("items", "list")]
    project.run("tag", str(ids[0]), "--review-by", "2026-01-15")
    project.run("tag", str(ids[1]), "--review-by", "2025-06-01")
    project.run("tag", str(ids[2]), "--review-by", "2999-01-01")
    due = project.json("watchlist", "--due")
    assert [i["id"] for i in due] == [ids[1], ids[0]]
    assert [i["id"] for i in project.json("watchlist")] == [ids[1], ids[0], ids[2]]


def test_decisions_survive_pull_retag_and_retention(project):
    seed(project)
    item = next(i for i in project.json("items", "list") if i["title"].startswith("Dog"))
    project.run(
        "tag", str(item["id"]), "--theme", "human-behaviour", "--signal", "--note", "keep me"
    )
    feed = project.root / "feed.xml"
    feed.write_text(feed.read_text().replace("Pamper your pets.", "Changed text."))
    project.write_config(
        [{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch(), retention="1d"
    )
    assert project.run("pull", "--force").exit_code == 0
    assert project.run("retag").exit_code == 0
    after = project.json("items", "show", str(item["id"]))
    assert after["status"] == "signal" and after["note"] == "keep me"
    assert after["themes"] == ["human-behaviour"]
    remaining = {i["id"] for i in project.json("items", "list", "--all")}
    assert remaining == {item["id"]}  # retention took the rest, never the analyst's item


def test_backup_is_a_consistent_copy(project, tmp_path):
    seed(project)
    project.run("tag", "1", "--signal")
    target = tmp_path / "copy.db"
    assert project.run("backup", str(target)).exit_code == 0
    copy = open_db(target)
    assert copy.execute("SELECT count(*) FROM items").fetchone()[0] == len(ITEMS)
    assert copy.execute("SELECT status FROM reviews").fetchone()[0] == "signal"
    again = project.run("backup", str(target))
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_no_tty_tag_via_console_script(project):
    seed(project)
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    import subprocess

    out = subprocess.run(
        ["horizon", "tag", "2", "--noise", "--analyst", "gina"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "noise" in out.stderr
    assert Path(project.db_path).exists()


def _session(db, analyst, keys, sink, read_line=lambda prompt: ""):
    from rich.console import Console

    from horizon import review
    from horizon.review_ui import ReviewSession
    from horizon.taxonomy import load_taxonomy

    return ReviewSession(
        db, analyst, load_taxonomy(), review.QueueFilter(), Console(file=sink), keys, read_line
    )


def test_concurrent_decision_while_the_screen_is_open_is_labelled(project):
    from horizon import review

    seed(project)
    db = open_db(project.db_path)
    pressed = iter(["f", "s", "q"])
    session = None

    def read_key() -> str:
        key = next(pressed)
        if key == "f":  # another analyst decides (`horizon tag`) while the screen is open
            item = session.stats.seen[-1]
            result = project.run("tag", str(item), "--digest", "--analyst", "bob")
            assert result.exit_code == 0, result.output
        return key

    with open(os.devnull, "w") as sink:
        session = _session(db, "carol", read_key, sink)
        session.run()
    item = session.stats.seen[0]
    trail = review.history(db, item)
    assert [(h["analyst"], h["action"]) for h in trail] == [
        ("bob", "flag"),
        ("carol", "flag (after bob's concurrent decision)"),
        ("carol", "signal"),  # decided on the screen shown after carol's own decision
    ]
    # "f" on a screen that showed the item unflagged flags it (bob had too).
    assert review.current(db, item)["flagged"] is True


def test_queue_is_counted_per_item_shown_and_after_writes(project, monkeypatch):
    from horizon import review

    seed(project)
    db = open_db(project.db_path)
    counted = []
    real = review.queue_count

    def counting(*args, **kwargs):
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(review, "queue_count", counting)
    keys = iter(["?", "any", "z", "o", "s", "z", "x", "z", "q"])
    with open(os.devnull, "w") as sink:
        session = _session(db, "carol", lambda: next(keys), sink)
        session.open_url = lambda url: None
        session.run()
    # first item: shown (1), after "s" (2); second item: shown (3). Help, unknown keys and
    # opening the link do not count again.
    assert len(counted) == 3
    assert len(session.stats.seen) == 2


def test_open_claim_resumes_only_a_still_queued_item(project):
    from horizon import review

    seed(project)
    db = open_db(project.db_path)
    first, second = review.queue(db, "alice", review.QueueFilter(), limit=2)
    assert review.claim(db, first, "alice") and review.claim(db, second, "alice")
    review.decide(db, second, "bob", review.Change(status="noise"), "noise")
    assert review.open_claim(db, "alice", review.QueueFilter()) == first
    review.decide(db, first, "bob", review.Change(status="signal"), "signal")
    assert review.open_claim(db, "alice", review.QueueFilter()) is None
    assert review.open_claim(db, "zoe", review.QueueFilter()) is None


def test_backup_reports_its_progress_and_names_a_target_it_cannot_write(project, tmp_path):
    import sqlite3

    import pytest

    from horizon.db import backup, size_in_use
    from horizon.errors import StoreError

    seed(project)
    db = open_db(project.db_path)
    sizes: list[int] = []
    target = tmp_path / "copy.db"
    backup(db, target, sizes.append)
    assert sizes and sizes[-1] == target.stat().st_size and sizes == sorted(sizes)
    assert 0.5 * size_in_use(db) <= sizes[-1] <= 1.5 * size_in_use(db)
    missing = tmp_path / "no-such-folder" / "copy.db"
    result = project.run("backup", str(missing))
    assert result.exit_code == 1
    assert f"{missing}: the backup could not be written" in result.stderr
    assert "bug" not in result.stderr

    class FillsTheDisk:
        """A store whose copy stops half-written, as VACUUM INTO does when the disk fills."""

        def execute(self, sql: str, params: list[str]) -> None:
            Path(params[0]).write_bytes(b"partial")
            raise sqlite3.OperationalError("database or disk is full")

    partial = tmp_path / "partial.db"
    with pytest.raises(StoreError, match="disk is full"):
        backup(FillsTheDisk(), partial, sizes.append)  # type: ignore[arg-type]
    assert not partial.exists()


def test_a_note_too_long_is_refused_whole_never_cut(project):
    """An analyst's note is kept as written or refused with the reason: never shortened."""
    from horizon.review import NOTE_MAX

    seed(project)
    paragraph = "So what: " + "the retention ruling reopens the debate. " * 40
    assert len(paragraph) < NOTE_MAX
    assert project.run("tag", "1", "--note", paragraph).exit_code == 0
    stored = open_db(project.db_path).execute("SELECT note FROM reviews").fetchone()[0]
    assert stored == paragraph.strip()
    too_long = "x" * (NOTE_MAX + 1)
    result = project.run("tag", "1", "--signal", "--note", too_long)
    assert result.exit_code == 2
    assert f"the note is {NOTE_MAX + 1:,} characters long" in result.stderr
    row = open_db(project.db_path).execute("SELECT note, status FROM reviews").fetchone()
    assert row == (paragraph.strip(), "reviewed")  # neither the note nor the signal saved
    decisions = open_db(project.db_path).execute("SELECT count(*) FROM audit").fetchone()
    for empty in ["", "   "]:  # kept the note as it was, yet logged a 'note' decision
        result = project.run("tag", "1", "--signal", "--note", empty)
        assert result.exit_code == 2 and "--note is empty" in result.stderr
    row = open_db(project.db_path).execute("SELECT note, status FROM reviews").fetchone()
    assert row == (paragraph.strip(), "reviewed")
    after = open_db(project.db_path).execute("SELECT count(*) FROM audit").fetchone()
    assert after == decisions


def test_a_note_too_long_in_the_queue_is_refused_with_the_reason(project):
    from horizon.review import NOTE_MAX

    seed(project)
    db = open_db(project.db_path)
    keys = iter(["n", "q"])
    with open(os.devnull, "w") as sink:
        session = _session(
            db, "dora", lambda: next(keys), sink, read_line=lambda prompt: "y" * (NOTE_MAX + 1)
        )
        session.run()
    assert session.message.startswith("Not saved: the note is 2,001 characters long")
    assert db.execute("SELECT count(*) FROM reviews WHERE note IS NOT NULL").fetchone()[0] == 0


def _queue_store(project):
    """A queue with every kind of item: scores across bands and within one, equal dates,
    reviewed, skipped by the analyst, and open with another analyst."""
    from horizon import review

    items = [(f"Item {n} on encryption" if n % 3 else f"Item {n}", "") for n in range(24)]
    seed(project, items)
    db = open_db(project.db_path)
    for item_id in range(1, 25):  # bands of 0.1, equal scores, and none
        score = None if item_id % 7 == 0 else round((item_id * 37 % 11) / 10 + 0.02, 2)
        db.execute("UPDATE items SET auto_score = ? WHERE id = ?", [score, item_id])
    db.execute("UPDATE items SET published = '2026-11-05T10:00:00Z' WHERE id IN (3, 4, 5)")
    db.conn.commit()
    review.decide(db, 2, "bob", review.Change(status="noise"), "noise")
    for item_id in (6, 9, 12):
        review.skip(db, item_id, "alice")
    review.skip(db, 8, "bob")  # skipped by another analyst: not last for alice
    assert review.claim(db, 10, "bob")
    return db


def test_the_queue_walks_its_index_in_the_order_of_a_full_sort(project):
    from horizon import review

    db = _queue_store(project)
    skipped = {6, 9, 12}
    rows = db.execute("SELECT id, auto_score, published FROM items").fetchall()
    expected = [
        item_id
        for item_id, score, published in sorted(
            (r for r in rows if r[0] not in (2, 10)),  # reviewed; open with bob
            key=lambda r: (r[0] in skipped, -round(r[1] or 0, 1), _desc(r[2]), -r[0]),
        )
    ]
    everything = review.QueueFilter()
    assert review.queue(db, "alice", everything) == expected
    for limit in (1, 2, len(expected) - 3, len(expected) - 2, len(expected) + 5):
        assert review.queue(db, "alice", everything, limit=limit) == expected[:limit]
    matching = {
        r[0] for r in db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'encryption'")
    }
    searched = review.QueueFilter(query="encryption")
    assert review.queue(db, "alice", searched) == [i for i in expected if i in matching]
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM items ORDER BY "
        "round(coalesce(items.auto_score, 0), 1) DESC, items.published DESC, items.id DESC"
    ).fetchall()
    assert any("idx_items_queue" in str(step) for step in plan)  # migration 0010


def _desc(text: str) -> str:
    """A sort key that orders ISO timestamps newest first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def test_the_queue_count_stops_past_its_cap_and_walks_a_theme_first_alike(project):
    from horizon import review

    db = _queue_store(project)
    db.execute(
        "INSERT INTO item_tags (item_id, kind, value, origin) SELECT id, 'theme', 'legislation', "
        "'auto' "
        "FROM items WHERE id % 2 = 0 AND id NOT IN (SELECT item_id FROM item_tags "
        "WHERE kind = 'theme' AND value = 'legislation')"
    )
    db.conn.commit()
    whole = review.QueueFilter()
    assert review.queue_count(db, "alice", whole) == 22
    assert review.queue_count(db, "alice", whole, cap=5) == 6  # "more than 5"
    assert review.queue_count(db, "alice", whole, cap=22) == 22
    for f in (
        review.QueueFilter(themes=("legislation",)),
        review.QueueFilter(themes=("legislation",), query="encryption"),
        review.QueueFilter(themes=("legislation",), sources=("f",)),
    ):
        counted = review.queue_count(db, "alice", f)
        assert counted == len(review.queue(db, "alice", f)) > 0
        where, params = review._queue_where("alice", f, tags_first=True)
        assert (
            db.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()[0] == counted
        )


def test_the_queue_shows_its_length_up_to_the_cap(project, monkeypatch):
    from horizon import review_ui

    seed(project)
    monkeypatch.setattr(review_ui, "COUNT_CAP", 3)
    with open(os.devnull, "w") as sink:
        shown: list[str] = []
        session = _session(open_db(project.db_path), "carol", iter(["q"]).__next__, sink)
        session.console.print = lambda *args, **kwargs: shown.append(str(args[0]) if args else "")
        session.run()
    assert any("3+ left" in line for line in shown), shown
