"""Analysts' decisions on items: the review queue, decisions with an audit trail, the watchlist."""

from __future__ import annotations

# Items an analyst has worked on are never deleted by retention.
PROTECTED_ITEMS = "SELECT item_id FROM reviews WHERE status != 'unreviewed' OR note IS NOT NULL"
