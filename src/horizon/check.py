"""`horizon sources check`: fetch each source once, store nothing, and say what it is."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from horizon.config import Config, SourceConfig
from horizon.errors import FetchError
from horizon.fetch import Http
from horizon.normalise import item_date
from horizon.pull import fetch_source, parse_fetched
from horizon.sources import FetchContext, SourceState, SourceType
from horizon.textutil import iso, terminal_safe, utcnow


def check_sources(
    config: Config, types: Mapping[str, SourceType], sources: Sequence[SourceConfig]
) -> list[dict[str, Any]]:
    """One report per source: reachable, detected type, items, newest date, validators."""
    return asyncio.run(_check_all(config, types, sources))


async def _check_all(
    config: Config, types: Mapping[str, SourceType], sources: Sequence[SourceConfig]
) -> list[dict[str, Any]]:
    http = Http(config.fetch, config.contact)
    slots = asyncio.Semaphore(config.fetch.concurrency)

    async def one(source: SourceConfig) -> dict[str, Any]:
        async with slots:
            return await _check(source, types[source.type], http, config)

    try:
        return list(await asyncio.gather(*(one(s) for s in sources)))
    finally:
        await http.aclose()


async def _check(
    source: SourceConfig, stype: SourceType, http: Http, config: Config
) -> dict[str, Any]:
    ctx = FetchContext(source, SourceState(), http, config.fetch, config.base_dir, force=True)
    fetched = await fetch_source(source, stype, ctx)
    report: dict[str, Any] = {
        "id": source.id,
        "type": source.type,
        "url": source.url or source.path,
        "reachable": False,
        "detected": None,
        "items": 0,
        "newest": None,
        "http_status": None,
        "final_url": None,
        "etag": False,
        "last_modified": False,
        "problems": [],
        "checked_at": iso(utcnow()),
    }
    primary = ctx.primary_response
    if primary is not None:
        report.update(
            http_status=primary.status,
            final_url=primary.url,
            etag="etag" in primary.headers,
            last_modified="last-modified" in primary.headers,
        )
        if primary.redirects:
            report["problems"].append(
                f"redirected {len(primary.redirects)} time(s) to {terminal_safe(primary.url)}"
            )
    if fetched.error is not None:
        return _failed(report, fetched.error)
    report["reachable"] = True
    try:
        assert fetched.fetched is not None
        parsed = parse_fetched(stype, source, fetched.fetched)
    except FetchError as exc:
        return _failed(report, exc)
    now = utcnow()
    dates: list[datetime] = [d for e in parsed.entries if (d := item_date(e, now)) is not None]
    report.update(
        detected=parsed.format or parsed.parser or source.type,
        items=len(parsed.entries),
        newest=iso(max(dates)) if dates else None,
    )
    report["problems"].extend(terminal_safe(w) for w in parsed.warnings)
    if not parsed.entries:
        report["problems"].append("no items")
    if not (report["etag"] or report["last_modified"]) and source.url:
        report["problems"].append("no ETag or Last-Modified: every pull downloads the body")
    return report


def _failed(report: dict[str, Any], error: FetchError) -> dict[str, Any]:
    report["problems"].append(f"{error.kind}: {terminal_safe(str(error))}")
    report["error_class"] = error.kind
    return report
