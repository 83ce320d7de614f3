"""One cold `horizon pull` of the 46 real feeds served from 127.0.0.1, as `benchmarks/ingest.py`
runs it, in this process, for a profiler to wrap:

    pip install py-spy
    py-spy record --gil --threads --subprocesses -r 400 -o pull.svg -- \\
        python benchmarks/profile_pull.py

Prints the pull's seconds, the wall-clock seconds its tagging calls took (on the store thread,
waiting for the interpreter lock included), when the sources were stored, and the CPU seconds
the pull used: in this process (the event loop and the store thread) and in its parse
processes. Their sum over the machine's cores is the least wall-clock time any split of the
same work between processes could reach. See docs/performance.md, "What bounds the cold pull
now".
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import _serve_elsewhere, timed_pull, write_feeds_yaml


def main() -> None:
    server, urls = _serve_elsewhere(1)
    try:
        work = Path(tempfile.mkdtemp(prefix="horizon-profile-"))
        timing = timed_pull(write_feeds_yaml(work, urls), work / "profile.db")
        stored, own, children = timing.stored, timing.cpu_own, timing.cpu_children
        print(
            f"cold pull {timing.seconds:.3f} s, of which tagging calls {timing.tagging:.3f} s "
            "(wall clock)"
        )
        print(
            f"sources stored: first at {min(stored):.3f} s, half by {statistics.median(stored):.3f}"
            f" s, last at {max(stored):.3f} s"
        )
        cores = os.cpu_count() or 1
        print(
            f"CPU: this process {own:.3f} s (event loop, HTTP, store thread), parse processes "
            f"{children:.3f} s; together {own + children:.3f} s, over {cores} core(s) at least "
            f"{(own + children) / cores:.3f} s of wall clock"
        )
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
