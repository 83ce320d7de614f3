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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import _serve_elsewhere, timed_pull, write_feeds_yaml


def main() -> None:
    server, urls = _serve_elsewhere(1)
    try:
        work = Path(tempfile.mkdtemp(prefix="horizon-profile-"))
        tagging = [0.0]
        seconds = timed_pull(write_feeds_yaml(work, urls), work / "profile.db", tagging=tagging)
        print(f"cold pull {seconds:.3f} s, of which tagging calls {tagging[0]:.3f} s (wall clock)")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
