"""The interactive review queue: one screen per item, one keystroke per decision.

Every decision is written to the store the moment its key is pressed (review.decide), so a
Ctrl-C, a closed terminal or a crash loses at most the keystroke in flight; the queue order is
deterministic, so the next session resumes at the item the analyst was on.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.text import Text
from sqlite_utils import Database

from horizon import queries, review
from horizon.config import THEME_IDS
from horizon.errors import UsageError
from horizon.explain import theme_lines
from horizon.taxonomy import FOURP_IDS, Taxonomy
from horizon.textutil import terminal_safe

KEYS = [
    ("enter / c", "confirm: accept the themes shown and go to the next item"),
    ("1 2 3 4", "toggle technology, human-behaviour, legislation, organisational"),
    ("t", "set topics (comma-separated)"),
    ("p", "set the 4P lens (pursue, prevent, protect, prepare)"),
    ("s", "mark as a signal worth the board's attention"),
    ("x", "mark as noise and go to the next item"),
    ("n", "write the one-line 'so what' note"),
    ("r", "set a review-by date (+4w, +10d, +3m or YYYY-MM-DD; empty clears it)"),
    ("f", "flag / unflag for the digest"),
    ("space / k", "skip this item for now"),
    ("u", "undo your last decision in this session"),
    ("o", "open the link in a browser"),
    ("?", "this help"),
    ("q", "quit (everything decided is already saved)"),
]
SUMMARY_LINES = 12
# The queue's length shown is counted up to this ("10,000+ left"): an exact count of a large
# store's unreviewed items took up to 3 s, after every decision.
COUNT_CAP = 10_000


@dataclass
class Stats:
    decided: int = 0
    skipped: int = 0
    seen: list[int] = field(default_factory=list)


class ReviewSession:
    """Drives the queue; keys and line prompts are injected so tests can drive it too."""

    def __init__(
        self,
        db: Database,
        analyst: str,
        taxonomy: Taxonomy,
        filters: review.QueueFilter,
        console: Console,
        read_key: Callable[[], str],
        read_line: Callable[[str], str],
        open_url: Callable[[str], object] = webbrowser.open,
    ) -> None:
        self.db, self.analyst, self.taxonomy, self.filters = db, analyst, taxonomy, filters
        self.console, self.read_key, self.read_line, self.open_url = (
            console,
            read_key,
            read_line,
            open_url,
        )
        self.stats = Stats()
        self.message = ""
        row = db.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()
        self.session_start = int(row[0])
        self.current: int | None = None
        # The review row as it was when the item on screen was shown: a decision is made against
        # it, so one another analyst wrote meanwhile is labelled concurrent in the audit trail.
        self.state: dict[str, Any] | None = None
        self.left: int | None = None  # the queue count shown; recounted after each write

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> Stats:
        try:
            while True:
                item_id = self._next_item()
                if item_id is None:
                    self.console.print(
                        "The queue is empty: every item matching the filters has been reviewed."
                    )
                    return self.stats
                self.current = item_id
                if not self._work(item_id):
                    return self.stats
        finally:
            if self.current is not None:
                review.release(self.db, self.current, self.analyst)

    def _next_item(self) -> int | None:
        if not self.stats.seen:  # resume the item left open when the last session ended
            left_open = review.open_claim(self.db, self.analyst, self.filters)
            if left_open is not None and review.claim(self.db, left_open, self.analyst):
                return left_open
        for _ in range(50):  # another analyst may claim an item between query and claim
            ids = review.queue(self.db, self.analyst, self.filters, limit=1)
            if not ids:
                return None
            if review.claim(self.db, ids[0], self.analyst):
                return ids[0]
        return None

    def _work(self, item_id: int) -> bool:
        """Show one item and handle keys until the analyst moves on; False means quit."""
        self.stats.seen.append(item_id)
        self.left = None  # count again for each item shown
        while True:
            self._render(item_id)
            key = self.read_key()
            if key in ("q", "Q", "\x04"):
                return False
            moved = self._handle(item_id, key)
            if moved is not None:
                review.release(self.db, item_id, self.analyst)
                self.current = None
                if moved != item_id and moved > 0:
                    # undo went back to an earlier item: show it next
                    self.current = moved
                    review.claim(self.db, moved, self.analyst)
                    return self._work(moved)
                return True

    def _handle(self, item_id: int, key: str) -> int | None:
        """Apply a key; returns an item id (or 0) to move on, None to stay on this item."""
        self.message = ""
        try:
            if key in ("\r", "\n", "c", "C"):
                self._confirm(item_id)
                return 0
            if key in ("1", "2", "3", "4"):
                self._toggle_theme(item_id, THEME_IDS[int(key) - 1])
            elif key == "s":
                self._decide(item_id, review.Change(status="signal"), "signal")
            elif key == "x":
                self._decide(item_id, review.Change(status="noise"), "noise")
                return 0
            elif key == "f":
                flagged = not self._shown(item_id)["flagged"]
                self._decide(
                    item_id, review.Change(flagged=flagged), "flag" if flagged else "unflag"
                )
            elif key == "n":
                note = review.check_note(self.read_line("So what (one line, empty keeps it): "))
                if note:
                    self._decide(item_id, review.Change(note=note), "note")
            elif key == "r":
                self._review_by(item_id)
            elif key == "t":
                self._list_prompt(item_id, "topics", sorted(self.taxonomy.topics))
            elif key == "p":
                self._list_prompt(item_id, "fourp", list(FOURP_IDS))
            elif key in (" ", "k"):
                review.skip(self.db, item_id, self.analyst)
                self.left = None
                self.stats.skipped += 1
                return 0
            elif key == "u":
                undone = review.undo_last(self.db, self.analyst, self.session_start)
                self.left = None
                if undone is None:
                    self.message = "Nothing to undo in this session."
                else:
                    self.message = f"Undid your last decision on item {undone['item_id']}."
                    self.stats.decided = max(0, self.stats.decided - 1)
                    if undone["item_id"] != item_id:
                        return int(undone["item_id"])
            elif key == "o":
                self._open(item_id)
            elif key == "?":
                self._help()
            else:
                self.message = f"Unknown key {terminal_safe(key)!r}: press ? for help."
        except UsageError as exc:
            self.message = f"Not saved: {exc}"
        return None

    # -- decisions --------------------------------------------------------------------------
    def _shown(self, item_id: int) -> dict[str, Any]:
        """The review row loaded when the item was shown (loaded now if it was not)."""
        if self.state is None or self.state["item_id"] != item_id:
            self.state = review.current(self.db, item_id)
        return self.state

    def _decide(self, item_id: int, change: review.Change, action: str) -> None:
        expected = self._shown(item_id)["revision"]
        self.state = review.decide(
            self.db, item_id, self.analyst, change, action, expected_revision=expected
        )
        self.left = None
        self.stats.decided += 1

    def _confirm(self, item_id: int) -> None:
        # The effective tags are the analyst's where they decided (see refresh_effective), so
        # this keeps a decision and freezes the automatic themes and topics otherwise; decide
        # marks an unreviewed item reviewed.
        change = review.Change(
            themes=review.effective(self.db, item_id, "theme"),
            topics=review.effective(self.db, item_id, "topic"),
        )
        self._decide(item_id, change, "confirm")

    def _toggle_theme(self, item_id: int, theme: str) -> None:
        themes = set(review.effective(self.db, item_id, "theme")) ^ {theme}
        self._decide(
            item_id,
            review.Change(themes=sorted(themes)),
            f"theme {'+' if theme in themes else '-'}{theme}",
        )

    def _review_by(self, item_id: int) -> None:
        raw = self.read_line("Review by (+4w, +10d, +3m, YYYY-MM-DD; empty clears): ").strip()
        if raw:
            self._decide(item_id, review.Change(review_by=review.parse_review_by(raw)), "review-by")
        else:
            self._decide(item_id, review.Change(clear_review_by=True), "review-by cleared")

    def _list_prompt(self, item_id: int, kind: str, choices: list[str]) -> None:
        shown = ", ".join(choices)
        raw = self.read_line(f"{kind} (comma-separated; one of {shown}): ").strip()
        values = [v.strip() for v in raw.replace(" ", ",").split(",") if v.strip()]
        if kind == "topics":
            values = review.check_topics(values, self.taxonomy)
        else:
            values = review.check_fourp(values)
        change = review.Change()
        setattr(change, kind, sorted(set(values)))
        self._decide(item_id, change, kind)

    def _open(self, item_id: int) -> None:
        item = queries.get_item(self.db, item_id) or {}
        url = item.get("url") or ""
        if not url.startswith(("http://", "https://")):
            self.message = "This item has no http(s) link to open."
            return
        self.open_url(url)
        self.message = f"Opened {terminal_safe(url)}"

    # -- screens ----------------------------------------------------------------------------
    def _help(self) -> None:
        self.console.print(Rule("keys"))
        for keys, meaning in KEYS:
            self.console.print(Text(f"  {keys:<10} {meaning}"))
        self.console.print("Press any key to go back.")
        self.read_key()

    def _render(self, item_id: int) -> None:
        item = queries.get_item(self.db, item_id)
        if item is None:  # deleted under us (retention): move on next time round
            return
        state = self.state = review.current(self.db, item_id)
        if self.left is None:
            self.left = review.queue_count(self.db, self.analyst, self.filters, cap=COUNT_CAP)
        left = f"{COUNT_CAP:,}+" if self.left > COUNT_CAP else f"{self.left:,}"
        out = self.console
        if out.is_terminal:
            out.clear()
        out.print(Rule(Text(f"horizon review · {self.analyst} · {left} left · item {item_id}")))
        out.print(Text(terminal_safe(item["title"]) or "(untitled)", style="bold"))
        source = item["source_name"] or item["source"]
        if item.get("organisation"):
            source = f"{source} ({item['organisation']})"
        out.print(
            Text(
                f"{terminal_safe(source)} · {item['published'][:10]}"
                f"{' (date estimated)' if item['published_estimated'] else ''}"
            )
        )
        out.print(Text(terminal_safe(item["url"] or "(no link)"), style="blue"))
        out.print(self._theme_boxes(item))
        for line in theme_lines(item):
            out.print(line)
        facets = []
        if item["topics"]:
            facets.append(f"topics: {', '.join(item['topics'])}")
        if item["fourp"]:
            facets.append(f"4P: {', '.join(item['fourp'])}")
        if facets:
            out.print(Text(" · ".join(facets)))
        out.print(self._decision_line(state))
        out.print(Rule(style="dim"))
        summary = terminal_safe(item["text"] or item["summary"] or "", single_line=False)
        lines = [ln for ln in summary.splitlines() if ln.strip()] or ["(no text)"]
        out.print(Text("\n".join(lines)[: 160 * SUMMARY_LINES]))
        earlier = review.history(self.db, item_id)
        if earlier:
            out.print(Rule("history", style="dim"))
            for row in earlier[-5:]:
                out.print(
                    Text(
                        f"  {row['at']} {terminal_safe(row['analyst'])}: {row['action']}",
                        style="dim",
                    )
                )
        out.print(Rule(style="dim"))
        out.print(
            Text(
                "enter confirm · 1-4 themes · t topics · p 4P · s signal · x noise · "
                "n note · r review-by · f flag · space skip · u undo · o open · ? help · "
                "q quit",
                style="dim",
            )
        )
        if self.message:
            out.print(Text(self.message, style="yellow"))

    def _theme_boxes(self, item: dict[str, Any]) -> Text:
        text = Text("themes: ")
        for index, theme in enumerate(THEME_IDS, 1):
            on = theme in item["themes"]
            text.append(
                f"[{'x' if on else ' '}] {index} {theme}  ", style="bold green" if on else ""
            )
        return text

    def _decision_line(self, state: dict[str, Any]) -> Text:
        parts = [f"status: {state['status']}"]
        if state["analyst"]:
            parts.append(f"by {terminal_safe(state['analyst'])}")
        if state["flagged"]:
            parts.append("flagged for the digest")
        if state["review_by"]:
            parts.append(f"review by {state['review_by']}")
        line = Text(" · ".join(parts), style="cyan")
        if state["note"]:
            line.append(f"\nso what: {terminal_safe(state['note'])}", style="cyan")
        return line
