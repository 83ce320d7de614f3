"""`horizon demo`: the whole product on shipped feed snapshots, offline, in a folder of its own.

It writes a feeds.yaml of `file` sources, pulls and tags them into a new store, records a few
analyst decisions marked as demo data, and renders the digest in HTML and Markdown. It reads and
writes nothing outside the folder it is given.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from sqlite_utils import Database

from horizon.errors import UsageError
from horizon.review import Change, decide
from horizon.workspace import Workspace

MARKER = ".horizon-demo"
ANALYST = "demo"
DIGEST_FILES = {"html": "digest.html", "md": "digest.md"}

# (id, name, language, why it is in the demo)
SNAPSHOTS = [
    (
        "daringfireball",
        "Daring Fireball",
        "en",
        "February 2016: Apple v FBI over iPhone encryption",
    ),
    ("ccc-updates-de", "Chaos Computer Club", "de", "2025-26: data retention, chat control"),
    ("slashdot-2024-rdf", "Slashdot", "en", "March 2024 technology news (RSS 1.0)"),
    ("guardian-world", "The Guardian: world", "en", "September 2022 world news"),
    ("golem-de-2017-12", "Golem.de", "de", "December 2017 IT news (ISO-8859-1)"),
    ("hackernews-2022", "Hacker News", "en", "April 2022 front page"),
    ("artificial-truth-atom", "Artificial truth", "en", "a security researcher's blog (Atom)"),
    ("theregister-science-2019", "The Register: science", "en", "July 2019 (Atom)"),
]


@dataclass
class Decision:
    """An example decision, found by the item's link so it survives renumbering."""

    url_contains: str
    change: Change
    action: str = "demo"


NOTE = "[demo] "
DECISIONS = [
    Decision(
        "customer-letter/answers",
        Change(
            status="signal",
            themes=["technology", "legislation"],
            topics=["encryption", "lawful-access"],
            fourp=["pursue"],
            note=NOTE + "A provider refuses to build a way into its own encryption; "
            "expect the same demand in Europe.",
        ),
    ),
    Decision(
        "cd295840-db6c-11e5",
        Change(
            status="signal",
            themes=["technology"],
            topics=["encryption", "cloud-storage"],
            note=NOTE + "End-to-end encrypted backups would close the route investigators "
            "use most to reach phone contents.",
            review_by="2016-06-30",
        ),
    ),
    Decision(
        "ccc-fordert-die-vds",
        Change(
            status="signal",
            themes=["legislation"],
            topics=["data-retention"],
            fourp=["pursue"],
            note=NOTE + "German data retention is back on the table; the courts have struck "
            "it down before.",
            review_by="2026-06-30",
        ),
    ),
    Decision(
        "absage-chatkontrolle",
        Change(
            status="signal",
            themes=["legislation", "technology"],
            topics=["csa-regulation", "detection-tools"],
            note=NOTE + "Germany's position decides the Council vote on detection orders "
            "in the CSA regulation.",
            flagged=True,
        ),
    ),
    Decision(
        "police-now-need-warrant-for-ip",
        Change(
            status="signal",
            themes=["legislation"],
            topics=["lawful-access"],
            note=NOTE + "Canadian police now need a warrant for subscriber IP data: slower "
            "first steps in online CSE cases there.",
        ),
    ),
    Decision(
        "ted-olson-joins-apple",
        Change(
            status="reviewed",
            themes=["legislation"],
            note=NOTE + "Not organisational: counsel for one side, corrected by the analyst.",
        ),
    ),
    Decision("thetalkshow/2016/02/21", Change(status="noise", note=NOTE + "A podcast episode.")),
]


@dataclass
class DemoResult:
    folder: Path
    config: Path
    db: Path
    digests: dict[str, Path]
    sources: int = 0
    items: int = 0
    tagged: int = 0
    decisions: int = 0
    period: str = ""
    example_item: int | None = None  # an item with a decision, for the printed next steps
    missing: list[str] = field(default_factory=list)


def snapshot_dir() -> Path:
    return Path(str(resources.files("horizon") / "data" / "demo"))


def prepare_folder(folder: Path) -> None:
    """Create the folder, or clear a previous demo in it; never touch anything else."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise UsageError(
            f"--out {folder}: the folder is not empty and was not made by `horizon demo`; "
            "choose a new or empty folder"
        )
    if (folder / MARKER).exists():
        for name in (
            "horizon.db",
            "horizon.db-wal",
            "horizon.db-shm",
            "horizon.db.pull.lock",
            "feeds.yaml",
            *DIGEST_FILES.values(),
        ):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "snapshots", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(
        "Made by `horizon demo`: running it again here replaces the demo.\n", encoding="utf-8"
    )


def write_config(folder: Path) -> Path:
    """feeds.yaml for the demo: one `file` source per snapshot, the store beside it."""
    target = folder / "snapshots"
    target.mkdir()
    sources = []
    for source_id, name, language, why in SNAPSHOTS:
        shutil.copyfile(snapshot_dir() / f"{source_id}.xml", target / f"{source_id}.xml")
        sources.append(
            {
                "id": source_id,
                "name": name,
                "type": "file",
                "path": f"snapshots/{source_id}.xml",
                "language": language,
                "notes": f"demo snapshot: {why}",
            }
        )
    config = folder / "feeds.yaml"
    header = (
        "# Written by `horizon demo`: real feeds saved as files, read by the `file` source type.\n"
        "# Nothing here touches the network. Running `horizon demo` again replaces this folder.\n"
    )
    body = yaml.safe_dump(
        {"database": "horizon.db", "digest": {"unreviewed": 3}, "sources": sources},
        sort_keys=False,
        allow_unicode=True,
    )
    config.write_text(header + body, encoding="utf-8")
    return config


def build_demo(folder: Path, step: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Build the demo store and digests in `folder` (see the module docstring)."""
    from horizon import digest, periods, queries
    from horizon.commands.digest_cmd import renderers
    from horizon.pull import pull_sources
    from horizon.tagging import tag_items
    from horizon.textutil import utcnow

    folder = folder.resolve()
    prepare_folder(folder)
    config_path = write_config(folder)
    ws = Workspace(config_path=config_path, db_path=folder / "horizon.db")
    result = DemoResult(
        folder,
        config_path,
        folder / "horizon.db",
        {fmt: folder / name for fmt, name in DIGEST_FILES.items()},
    )
    try:
        db = ws.create_db()
        taggers = ws.taggers()
        step("pulling the snapshots")

        def on_items(store: Database, ids: list[int]) -> None:
            tag_items(store, ids, taggers)

        summary = pull_sources(
            db,
            ws.config,
            ws.source_types,
            on_items=on_items,
        )
        if summary.failed:
            failed = summary.failed[0]
            raise UsageError(f"demo snapshot {failed.source_id}: {failed.error}")
        result.sources = len(ws.config.sources)
        result.items = db.execute("SELECT count(*) FROM items").fetchone()[0]
        result.tagged = db.execute(
            "SELECT count(DISTINCT item_id) FROM item_tags WHERE kind = 'theme'"
        ).fetchone()[0]
        step("recording example decisions")
        for decision in DECISIONS:
            row = db.execute(
                "SELECT id FROM items WHERE instr(url, ?) > 0 ORDER BY id LIMIT 1",
                [decision.url_contains],
            ).fetchone()
            if row is None:  # a swapped snapshot: the example does not apply
                result.missing.append(decision.url_contains)
                continue
            decide(db, row[0], ANALYST, decision.change, decision.action)
            result.example_item = result.example_item or row[0]
            result.decisions += 1
        step("writing the digest")
        first, last = db.execute(
            "SELECT min(published), max(published) FROM items WHERE published_estimated = 0"
        ).fetchone()
        span = periods.parse_range(first[:10], last[:10])
        result.period = span.label
        options = digest.DigestOptions(unreviewed=3, title="horizon demo digest")
        now = utcnow()
        data = digest.build_digest(
            db, span, ws.taxonomy, options, now, queries.list_sources(db, counts=False)
        )
        available = renderers(ws)
        for fmt, path in result.digests.items():
            text = available[fmt].render(data)
            digest.record(db, data, fmt, text)
            path.write_text(text, encoding="utf-8")
    finally:
        ws.close()
    return result
