"""How long an analyst waits for a command that does little: each command in a new process,
as a shell runs it, its imports included.

    python benchmarks/startup.py [--db STORE] [--runs 7]

Without --db the commands read a small store pulled here from three corpus feeds, and an
unchanged `horizon pull` of them is timed too (a store given with --db is only read). Prints each
command's median wall-clock time over the runs, with Python's own start (`python -c pass`)
for reference, and the modules it imported. Run it with PYTHONPATH pointing at another
checkout's `src` to compare two versions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import horizon

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "real"
FEEDS = ("cloudflare-blog.xml", "heise-developer-de.xml", "lemonde-fr.xml")


def _small_store(work: Path) -> Path:
    sources = []
    for name in FEEDS:
        shutil.copy(CORPUS / name, work / name)
        sources.append(f"  - {{id: {Path(name).stem}, type: file, path: {name}}}\n")
    (work / "feeds.yaml").write_text("sources:\n" + "".join(sources), encoding="utf-8")
    store = work / "startup.db"
    horizon = [sys.executable, "-m", "horizon", "--db", str(store)]
    subprocess.run([*horizon, "pull"], cwd=work, check=True)
    return store


def _commands(store: Path, ours: bool) -> dict[str, list[str]]:
    db = ["--db", str(store)]
    pull = {"horizon pull --force (all unchanged)": [*db, "pull", "--force"]} if ours else {}
    return pull | {
        "horizon --version": ["--version"],
        "horizon items list": [*db, "items", "list", "--since", "3650d", "--limit", "20"],
        "horizon items show 1": [*db, "items", "show", "1"],
        "horizon items search encryption": [*db, "items", "search", "encryption"],
        "horizon watchlist": [*db, "watchlist"],
        "horizon tagger status": [*db, "tagger", "status"],
        "horizon digest list": [*db, "digest", "list"],
        "horizon digest -p 2026-Q4 -f md": [
            *db,
            "digest",
            "-p",
            "2026-Q4",
            "-f",
            "md",
            "--no-record",
        ],
    }


def _median_seconds(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _modules(args: list[str], cwd: Path) -> int:
    """How many modules the command imported (from `python -X importtime`)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "horizon", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return sum(1 for line in out.stderr.splitlines() if line.startswith("import time:")) - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="a store to read (default: a small new one)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="horizon-startup-"))
    try:
        store = args.db.resolve() if args.db else _small_store(work)
        python = _median_seconds([sys.executable, "-c", "pass"], work, args.runs)
        print(f"medians of {args.runs} runs, each command in a new process")
        if sys.flags.dont_write_bytecode and not any(Path(horizon.__file__).parent.rglob("*.pyc")):
            print(
                "  (PYTHONDONTWRITEBYTECODE is set and horizon has no cached bytecode: each "
                "command compiles horizon's modules first; an installed horizon has its bytecode)"
            )
        print(f"  {'python -c pass':<38} {python:6.3f} s")
        for name, command in _commands(store, ours=args.db is None).items():
            seconds = _median_seconds([sys.executable, "-m", "horizon", *command], work, args.runs)
            print(f"  {name:<38} {seconds:6.3f} s   {_modules(command, work):4d} modules")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
