"""Open the store (WAL, busy timeout, migrations) and run short write transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import platformdirs
from sqlite_utils import Database

from horizon.errors import StoreError

BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> Path:
    """The store used when neither --db, HORIZON_DB nor `database:` in the config says."""
    return Path(platformdirs.user_data_dir("horizon", appauthor=False)) / "horizon.db"


def open_db(path: Path | str, *, migrate: bool = True, readonly: bool = False) -> Database:
    """Open (creating if needed) the store and apply pending migrations."""
    from horizon.migrations import MIGRATIONS

    path = Path(path)
    if readonly:
        if not path.exists():
            raise StoreError(f"{path}: no store here yet (run `horizon pull` first)")
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro",  # '?', '#' and '%' are a URI's own
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot create the store's folder: {exc}") from None
        try:
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from None
    db = Database(conn, execute_plugins=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if migrate and not readonly:
            with transaction(db):
                MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a usable horizon store: {exc}") from None
    return db


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a
    concurrent writer waits on the busy timeout instead of failing with 'database is locked'.
    Nested use becomes a savepoint."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def insert_row(db: Database, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row of plain values and return its rowid. For the writes made once per
    source in a pull: sqlite-utils' `insert` and `update` look the table up again on every call
    (its columns, its keys, whether it exists, in a savepoint), which cost more than the write."""
    names = ", ".join(f"[{name}]" for name in row)
    marks = ", ".join("?" * len(row))
    cursor = db.execute(f"INSERT INTO [{table}] ({names}) VALUES ({marks})", list(row.values()))
    return int(cursor.lastrowid or 0)


def update_row(db: Database, table: str, rowid: object, values: Mapping[str, Any]) -> None:
    """Set plain values on the row with this primary key (`id`); see `insert_row`."""
    if values:
        assignments = ", ".join(f"[{name}] = ?" for name in values)
        db.execute(f"UPDATE [{table}] SET {assignments} WHERE id = ?", [*values.values(), rowid])


def run_script(db: Database, script: str) -> None:
    """Run several statements inside the current transaction (executescript would commit)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


def backup(db: Database, target: Path, progress: Callable[[int], None] | None = None) -> None:
    """A consistent copy of the store while others use it (VACUUM INTO). `progress` is told
    the copy's size in bytes as it grows (about every 0.1 s, and once at the end); it ends
    near `size_in_use`. A copy that cannot be written is removed and named in the error."""
    if target.exists():
        raise StoreError(f"{target}: already exists; choose a new file name")
    done = threading.Event()
    watcher = threading.Thread(target=_watch_size, args=(target, done, progress), daemon=True)
    if progress is not None:
        watcher.start()
    try:
        db.execute("VACUUM INTO ?", [os.fspath(target)])
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            target.unlink()  # a partial copy (the disk filled up) is no backup
        raise StoreError(
            f"{target}: the backup could not be written ({exc}); check that its folder exists, "
            "that you may write there, and that the disk has room for a copy of the store"
        ) from None
    finally:
        done.set()
        if watcher.is_alive():
            watcher.join()
    if progress is not None:
        progress(target.stat().st_size)


def _watch_size(target: Path, done: threading.Event, progress: Callable[[int], None]) -> None:
    while not done.wait(0.1):
        with contextlib.suppress(OSError):
            progress(target.stat().st_size)


def size_in_use(db: Database) -> int:
    """The bytes of the store's pages that hold data: about the size of a copy (VACUUM INTO
    leaves the free pages out)."""
    pages, free, size = (
        db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("page_count", "freelist_count", "page_size")
    )
    return int((pages - free) * size)
