"""Shared by the benchmarks: real feed items from tests/corpus, parsed once."""

from __future__ import annotations

import warnings
from pathlib import Path

from horizon.feeds import parse_document
from horizon.models import Document
from horizon.normalise import normalise
from horizon.textutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
REAL = sorted((CORPUS / "real").glob("*.xml"))


def real_items() -> list[tuple[str, str]]:
    """(title, opening text) of every item in the 46 real feeds."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in REAL:
            feed = parse_document(Document(url="http://example.org/", body=path.read_bytes()))
            for row in normalise(feed, now=utcnow()).rows:
                out.append((row.values["title"], row.values["text"]))
    return out
