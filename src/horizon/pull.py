"""`horizon pull`: decide what is due, fetch concurrently, parse and store one source at a time.

Fetching runs on an asyncio loop (global and per-host limits, a time budget per source);
parsing and storing run on one worker thread that owns the store, so neither blocks the
network for long. In a large pull, feeds are parsed and normalised in separate processes
(`fetch.parse_workers`) while the store thread stores and tags the ones already parsed. One
source's failure is recorded and never stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import filelock
from sqlite_utils import Database

from horizon import store
from horizon.config import Config, SourceConfig
from horizon.errors import FetchError, LockedError
from horizon.fetch import Http, parse_max_age
from horizon.models import Fetched, ParsedFeed
from horizon.normalise import ItemRow, Normalised
from horizon.parsejob import PARSE_TIME_LIMIT, Parsed, guarded, parse_and_normalise, parse_feed
from horizon.sources import FetchContext, SourceState, SourceType
from horizon.textutil import from_iso, iso, terminal_safe, utcnow

Progress = Callable[[store.Outcome], None]
# A pull of at least this many due sources parses in processes when `parse_workers` is unset:
# with fewer, the store thread keeps up with the network, and the processes' memory (about
# 110 MB each) would buy nothing.
AUTO_PARSE_SOURCES = 20


@dataclass
class RunSummary:
    """The result of one pull, for the exit code, `--json` and the problems printed."""

    run_id: int
    started_at: datetime
    finished_at: datetime
    outcomes: list[store.Outcome] = field(default_factory=list)
    pruned: int = 0
    parse_workers: int = 0  # parse processes started
    parse_workers_lost: bool = False  # they broke, and the store thread parsed the rest

    @property
    def failed(self) -> list[store.Outcome]:
        return [o for o in self.outcomes if o.failed]

    def totals(self) -> dict[str, int]:
        fetched = [o for o in self.outcomes if o.status != "skipped"]
        return {
            "sources_due": len(fetched),
            "sources_ok": len(fetched) - len(self.failed),
            "sources_failed": len(self.failed),
            "sources_skipped": len(self.outcomes) - len(fetched),
            "items_new": sum(o.new for o in self.outcomes),
            "items_updated": sum(o.updated for o in self.outcomes),
            "duration_ms": int((self.finished_at - self.started_at).total_seconds() * 1000),
            "parse_workers": self.parse_workers,
            "parse_workers_lost": int(self.parse_workers_lost),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            **self.totals(),
            "pruned": self.pruned,
            "sources": [o.as_json() for o in self.outcomes],
        }


def store_path(db: Database) -> Path | None:
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2])
    return None


def pull_lock(db: Database) -> filelock.BaseFileLock:
    """The lock one pull holds; the OS releases it if the process dies, so it never sticks."""
    path = store_path(db)
    lock_file = f"{path}.pull.lock" if path else str(Path.cwd() / ".horizon-memory.pull.lock")
    return filelock.FileLock(lock_file, timeout=0)


def pull_sources(
    db: Database,
    config: Config,
    source_types: Mapping[str, SourceType],
    *,
    only: list[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    on_items: store.ItemsHook | None = None,
) -> RunSummary:
    """Fetch every due source in the config into the store. Raises LockedError if another
    pull is running; every per-source problem is recorded in its outcome instead."""
    lock = pull_lock(db)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockedError(f"another horizon pull is running (lock: {lock.lock_file})") from None
    try:
        return _pull(
            db,
            config,
            source_types,
            only=only,
            force=force,
            progress=progress,
            on_start=on_start,
            on_items=on_items,
        )
    finally:
        lock.release()


def _pull(
    db: Database,
    config: Config,
    source_types: Mapping[str, SourceType],
    *,
    only: list[str] | None,
    force: bool,
    progress: Progress | None,
    on_start: Callable[[int], None] | None,
    on_items: store.ItemsHook | None,
) -> RunSummary:
    started = utcnow()
    selected = [config.source(i) for i in only] if only else list(config.sources)
    store.sync_sources(db, config, started)
    rows = store.source_rows(db)
    run_id = store.start_run(db, {"only": only or [], "force": force}, started)
    summary = RunSummary(run_id, started, started)
    due: list[SourceConfig] = []
    try:
        for source in selected:
            reason = _skip_reason(source, rows[source.id], started, force or bool(only))
            if reason is None:
                due.append(source)
                continue
            outcome = store.Outcome(
                source.id,
                "skipped",
                started,
                next_fetch_at=from_iso(rows[source.id].get("next_fetch_at")),
                next_fetch_reason=reason,
            )
            store.record_outcome(
                db,
                run_id,
                source,
                rows[source.id],
                outcome,
                [],
                started,
                moved_after=config.fetch.moved_after,
                max_versions=config.fetch.max_versions,
            )
            summary.outcomes.append(outcome)
        if on_start is not None:
            on_start(len(due))
        worker = _Worker(db, config, source_types, rows, run_id, force, progress, on_items)
        try:
            summary.outcomes.extend(asyncio.run(worker.run(_interleave_by_host(due))))
        finally:
            summary.parse_workers = worker.parsers.started
            summary.parse_workers_lost = worker.parsers.lost
        if config.retention:
            now = utcnow()
            summary.pruned = store.prune(db, now - timedelta(seconds=config.retention), now)
    except BaseException:
        summary.finished_at = utcnow()
        store.finish_run(db, run_id, summary.totals(), "interrupted", summary.finished_at)
        raise
    summary.outcomes.sort(key=lambda o: o.source_id)
    summary.finished_at = utcnow()
    store.finish_run(
        db, run_id, summary.totals(), "failures" if summary.failed else "ok", summary.finished_at
    )
    return summary


def _skip_reason(
    source: SourceConfig, row: Mapping[str, Any], now: datetime, force: bool
) -> str | None:
    if not source.enabled:
        return "disabled in the config"
    if force:
        return None
    next_at = from_iso(row.get("next_fetch_at"))
    if next_at is not None and next_at > now:
        why = row.get("next_fetch_reason") or "interval"
        return f"not due until {iso(next_at)} ({why})"
    return None


def _interleave_by_host(sources: list[SourceConfig]) -> list[SourceConfig]:
    """Round-robin over hosts so that one busy host does not hold every fetch slot."""
    by_host: defaultdict[str, list[SourceConfig]] = defaultdict(list)
    for source in sources:
        by_host[urlsplit(source.url or "").hostname or f"path:{source.path}"].append(source)
    queues = list(by_host.values())
    ordered: list[SourceConfig] = []
    while queues:
        for queue in list(queues):
            ordered.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return ordered


@dataclass
class _Fetch:
    source: SourceConfig
    started: datetime
    t0: float
    ctx: FetchContext
    fetched: Fetched | None = None
    error: FetchError | None = None
    parsed: Parsed | None = None  # parsed in a parse process already
    now: datetime | None = None  # the time that parse took as "now"
    body_hash: str | None = None  # of the fetched bodies, once computed


def parse_workers(setting: int | None, due: int) -> int:
    """How many parse processes a pull of `due` sources starts: the setting if given, else one
    per core but one (the store thread needs a core), at most 4, for a large pull only."""
    if setting is not None:
        return setting
    cores = os.cpu_count() or 1
    return min(4, cores - 1) if due >= AUTO_PARSE_SOURCES else 0


class _ParsePool:
    """The pull's parse processes, forked when the first body needs parsing (a week where
    nothing changed forks none). A process forked while another thread holds a lock could wait
    on it forever, so the fork waits until the store thread is between sources: it holds
    `store_busy` while it works on one, and it is the only other thread that parses, sanitises,
    tags or writes the store. The processes inherit the parser already imported (no start-up
    cost), and the store's connection, which they never use: they leave by `os._exit`, which
    closes nothing."""

    def __init__(self, workers: int) -> None:
        fork = "fork" in multiprocessing.get_all_start_methods()  # none on Windows
        self.workers = workers if fork else 0  # else the store thread parses everything
        self.pool: ProcessPoolExecutor | None = None
        self.lost = False  # they broke, or could not be forked
        self.store_busy = threading.Lock()

    @property
    def started(self) -> int:
        return self.workers if self.pool is not None else 0

    def get(self) -> Executor | None:
        """The processes (forked now, if this is the first body to parse), or None."""
        if self.pool is None and self.workers and not self.lost:
            with self.store_busy, warnings.catch_warnings():
                # Python 3.12+ warns of forking beside threads: see the class's docstring.
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    self.pool = ProcessPoolExecutor(
                        max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
                    )
                    self.pool.submit(int)  # with "fork", the first job forks every process, now
                except OSError:  # no fork allowed now (a process limit, no memory)
                    self.close()  # any process that did start
                    self.pool, self.lost = None, True  # the store thread parses everything
        return None if self.lost else self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


async def fetch_source(source: SourceConfig, stype: SourceType, ctx: FetchContext) -> _Fetch:
    """Run a source type's fetch within the source's budget; every failure becomes a
    FetchError on the result, never an exception."""
    result = _Fetch(source, utcnow(), time.monotonic(), ctx)
    budget = ctx.settings.budget
    try:
        async with asyncio.timeout(budget) as timer:

            def extend(waited: float) -> None:
                # Queuing behind other sources on the same host is not this source's time.
                when = timer.when()
                if when is not None:
                    timer.reschedule(when + waited)

            ctx.on_wait = extend
            result.fetched = await stype.fetch(source, ctx)
    except FetchError as exc:
        result.error = exc
    except TimeoutError:
        result.error = FetchError(
            "timeout",
            f"no complete response within the {budget:g}s budget for {ctx.url or source.path}",
        )
    except Exception as exc:  # a source plugin's bug is that source's failure only
        result.error = FetchError(
            "plugin",
            f"{source.type} source failed: {type(exc).__name__}: {terminal_safe(str(exc))[:300]}",
        )
    return result


def parse_fetched(stype: SourceType, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
    """A source type's parse; any failure becomes a FetchError."""
    return guarded(lambda: stype.parse(source, fetched), source.type)


class _Worker:
    """Runs one pull's fetches on the loop and hands each result to the store thread."""

    def __init__(
        self,
        db: Database,
        config: Config,
        source_types: Mapping[str, SourceType],
        rows: dict[str, dict[str, Any]],
        run_id: int,
        force: bool,
        progress: Progress | None,
        on_items: store.ItemsHook | None,
    ) -> None:
        self.db, self.config, self.types, self.rows = db, config, source_types, rows
        self.run_id, self.force, self.progress, self.on_items = run_id, force, progress, on_items
        self.parsers = _ParsePool(0)  # the parse processes, during `run`

    async def run(self, sources: list[SourceConfig]) -> list[store.Outcome]:
        if not sources:
            return []
        http = Http(self.config.fetch, self.config.contact)
        slots = asyncio.Semaphore(self.config.fetch.concurrency)
        loop = asyncio.get_running_loop()
        self.parsers = _ParsePool(parse_workers(self.config.fetch.parse_workers, len(sources)))
        with (
            contextlib.closing(self.parsers),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="horizon-store") as executor,
        ):

            async def one(source: SourceConfig) -> store.Outcome:
                async with slots:
                    result = await self._fetch(source, http)
                await self._parse_elsewhere(result)
                return await loop.run_in_executor(executor, self._store, result)

            try:
                return list(await asyncio.gather(*(one(s) for s in sources)))
            finally:
                await http.aclose()

    async def _parse_elsewhere(self, f: _Fetch) -> None:
        """Parse a fetched feed in a parse process, if there are any and the body needs it.
        Only the built-in feed parse goes there (a plugin's own parse stays on the store
        thread). If the processes break (one was killed), the store thread parses the rest."""
        fetched = f.fetched
        if not self.parsers.workers or fetched is None or f.error is not None:
            return
        if fetched.not_modified or type(self.types[f.source.type]).parse is not SourceType.parse:
            return
        if self._unchanged(f, fetched) or (pool := self.parsers.get()) is None:
            return  # nothing to parse, or the processes broke
        now = utcnow()
        try:
            f.parsed = await asyncio.get_running_loop().run_in_executor(
                pool,
                parse_feed,
                fetched.documents,
                f.source.type,
                f.source.language,
                now,
                PARSE_TIME_LIMIT,
            )
            f.now = now
        except Exception:  # the processes broke (one was killed?): the store thread parses
            self.parsers.lost = True

    def _store(self, f: _Fetch) -> store.Outcome:
        with self.parsers.store_busy:  # no fork meanwhile
            return self._process(f)

    async def _fetch(self, source: SourceConfig, http: Http) -> _Fetch:
        row = self.rows[source.id]
        state = SourceState(
            url=row.get("effective_url"),
            etag=row.get("etag"),
            last_modified=row.get("last_modified"),
            body_hash=row.get("body_hash"),
        )
        ctx = FetchContext(source, state, http, self.config.fetch, self.config.base_dir, self.force)
        return await fetch_source(source, self.types[source.type], ctx)

    def _process(self, f: _Fetch) -> store.Outcome:
        """Parse and store one source's result (runs on the store thread)."""
        source, ctx = f.source, f.ctx
        now = f.now or utcnow()  # one time for the whole result: first_seen = estimated published
        outcome = store.Outcome(source.id, "ok", f.started, url=ctx.url or source.path)
        primary = ctx.primary_response
        if primary is not None:
            outcome.http_status = primary.status
            outcome.final_url = primary.url
            outcome.content_type = primary.headers.get("content-type")
            outcome.permanent_target = primary.permanent_target()
            outcome.max_age = parse_max_age(primary.headers.get("cache-control"))
            if ctx.primary is not None and not primary.not_modified:
                outcome.validators_seen = True
                outcome.etag = primary.headers.get("etag")
                outcome.last_modified = primary.headers.get("last-modified")
        items: list[ItemRow] = []
        guid_unreliable = False
        error = f.error
        try:
            if error is None and f.fetched is not None:
                norm = self._parse(f, outcome, now)
                if norm is not None:
                    items, guid_unreliable = norm.rows, norm.guid_unreliable
        except FetchError as exc:
            error = exc
        if error is not None:
            outcome.status, outcome.error_class = "error", error.kind
            outcome.error, outcome.retry_after = terminal_safe(str(error))[:1000], error.retry_after
            outcome.body_hash = None
            items = []
        outcome.duration_ms = int((time.monotonic() - f.t0) * 1000)
        store.schedule(source, self.rows[source.id], outcome, now, self.config.fetch.backoff_cap)
        store.record_outcome(
            self.db,
            self.run_id,
            source,
            self.rows[source.id],
            outcome,
            items,
            now,
            moved_after=self.config.fetch.moved_after,
            max_versions=self.config.fetch.max_versions,
            guid_unreliable=guid_unreliable,
            on_items=self.on_items,
        )
        if self.progress is not None:
            self.progress(outcome)
        return outcome

    def _parse(self, f: _Fetch, outcome: store.Outcome, now: datetime) -> Normalised | None:
        """Parse and normalise a fetched body (or take what a parse process made of it), or
        say why not (not modified, unchanged)."""
        source, fetched = f.source, f.fetched
        assert fetched is not None
        outcome.bytes = sum(len(d.body) for d in fetched.documents)
        if fetched.not_modified:
            outcome.status = "not-modified"
            return None
        unchanged = self._unchanged(f, fetched)
        outcome.body_hash = f.body_hash
        if unchanged:
            outcome.status = "unchanged"
            return None
        parsed = f.parsed or parse_and_normalise(
            lambda: self.types[source.type].parse(source, fetched),
            source.type,
            source.language,
            now,
        )
        if parsed.error is not None:
            raise FetchError(*parsed.error)
        outcome.items_seen = parsed.items_seen
        outcome.parser = parsed.parser
        outcome.feed_title, outcome.feed_link = parsed.title, parsed.link
        outcome.ttl_minutes = parsed.ttl_minutes
        if parsed.warnings:
            outcome.status = "parse-warning"
            outcome.error = terminal_safe("; ".join(parsed.warnings))[:1000]
        return parsed.norm

    def _unchanged(self, f: _Fetch, fetched: Fetched) -> bool:
        """Whether the bodies hash as last time (not parsed again, unless forced); the hash is
        kept on the result, computed once whether the loop or the store thread asks first."""
        if f.body_hash is None:
            f.body_hash = _body_hash(fetched)
        return f.body_hash == f.ctx.state.body_hash and not self.force


def _body_hash(fetched: Fetched) -> str:
    digest = hashlib.sha256()
    for doc in fetched.documents:
        digest.update(hashlib.sha256(doc.body).digest())
    return digest.hexdigest()
