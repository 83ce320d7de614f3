"""One cold `horizon pull` of the 46 real feeds served from 127.0.0.1, as `benchmarks/ingest.py`
runs it, in this process, for a profiler to wrap:

    pip install py-spy
    py-spy record --gil --threads --subprocesses -r 400 -o pull.svg -- \
        python benchmarks/profile_pull.py

Prints the pull's seconds and the wall-clock seconds its tagging calls took (on the store thread,
waiting for the interpreter lock included). See docs/performance.md, "What bounds the cold pull
now".
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import _serve_elsewhere

from horizon.config import load_config
from horizon.db import Database, open_db
from horizon.plugins import load_plugins
from horizon.pull import pull_sources
from horizon.tagging import TaggingContext, prepare_taggers, tag_items
from horizon.taxonomy import load_taxonomy


def main() -> None:
    server, urls = _serve_elsewhere(1)
    try:
        work = Path(tempfile.mkdtemp(prefix="horizon-profile-"))
        lines = ["fetch:\n  budget: 60s\n  max_bytes: 20MiB\n  concurrency: 16\nsources:\n"]
        lines += [f"  - id: f{index:02d}\n    url: {url}\n" for index, url in enumerate(urls)]
        (work / "feeds.yaml").write_text("".join(lines))
        plugins = load_plugins(None)
        types = plugins.collect("register_sources", "source type")
        available = plugins.collect("register_taggers", "tagger")
        config = load_config(work / "feeds.yaml", types)
        taxonomy = load_taxonomy()
        t0 = time.perf_counter()
        db = open_db(work / "profile.db")
        taggers = prepare_taggers(available, TaggingContext(taxonomy, db), list(available))
        tagging = [0.0]

        def on_items(store: Database, ids: list[int]) -> Any:
            started = time.perf_counter()
            tag_items(store, ids, taggers)
            tagging[0] += time.perf_counter() - started

        summary = pull_sources(db, config, types, on_items=on_items)
        seconds = time.perf_counter() - t0
        assert not summary.failed, [o.error for o in summary.failed]
        print(f"cold pull {seconds:.3f} s, of which tagging calls {tagging[0]:.3f} s (wall clock)")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
