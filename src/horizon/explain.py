"""Why an item has each theme: the stored evidence of every tagger, as terminal lines."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from horizon.config import THEME_IDS
from horizon.tagging import KNOWN_FULL, reading_share
from horizon.textutil import terminal_safe

SHOWN = 0.1  # a theme not given is explained from this automatic confidence up


def theme_lines(item: dict[str, Any], *, highlight: bool = True) -> list[Text]:
    """One block per theme the item has (or came close to), with the evidence behind it."""
    evidence = item.get("evidence", [])
    origins = {(t["kind"], t["value"]): t for t in item.get("tags", [])}
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for row in evidence:
        if row["kind"] == "theme":
            by_theme.setdefault(row["value"], []).append(row)
    lines: list[Text] = []
    for theme in THEME_IDS:
        tag = origins.get(("theme", theme))
        rows = by_theme.get(theme, [])
        combined = next((r for r in rows if r["tagger"] == "combined"), None)
        if tag is None and not (combined and combined["score"] >= SHOWN):
            continue  # nothing spoke for it (`items show --json` has every stored row)
        head = Text("  ")
        if tag is not None:
            head.append(theme, style="bold green")
            origin = tag["origin"]
            score = f", {tag['score']:.2f}" if tag.get("score") is not None else ""
            head.append(f"  ({origin}{score})")
        else:
            head.append(theme, style="dim")
            head.append(
                f"  (not given: automatic confidence {combined['score']:.2f})"
                if combined
                else "  (not given)",
                style="dim",
            )
        lines.append(head)
        for row in rows:
            if row["tagger"] == "combined":
                continue
            lines.extend(_evidence_lines(row, highlight))
    vetoed = sorted(
        {
            term
            for row in evidence
            if row["tagger"] == "keywords" and isinstance(row.get("evidence"), dict)
            for term in row["evidence"].get("vetoed") or []
        }
    )
    if vetoed:  # the taxonomy's `vetoes`: no automatic theme, whatever any model said
        terms = ", ".join(terminal_safe(t) for t in vetoed)
        lines.append(Text(f"  no theme at all: vetoed by {terms} (the taxonomy's vetoes)"))
    elif not lines:
        lines.append(Text("  no theme: no rule matched and no analyst decided", style="dim"))
    return lines


def _evidence_lines(row: dict[str, Any], highlight: bool) -> list[Text]:
    data = row.get("evidence") or {}
    out: list[Text] = []
    if row["tagger"] == "keywords":
        for match in data.get("matches", []):
            owner = match.get("topic") or match.get("theme") or "?"
            line = Text(f"    keywords +{match['score']:g} {owner} (rule {match['rule']}): ")
            for index, term in enumerate(match.get("terms", [])):
                if index:
                    line.append(" + ")
                line.append(
                    terminal_safe(term.get("text") or term["term"]),
                    style="bold yellow" if highlight else "",
                )
                line.append(f" [{term['field']}]", style="dim")
            out.append(line)
        for owner, terms in (data.get("excluded") or {}).items():
            out.append(Text(f"    excluded from {owner} by: {', '.join(terms)}", style="dim"))
    elif "probability" in data:  # a model: the trained `model`, the shipped `seed`, a plugin's
        because = ", ".join(terminal_safe(t) for t in data.get("because", []))
        line = Text(f"    {terminal_safe(row['tagger'])} p={row['score']:.2f}")
        if because:
            line.append(" because of ")
            line.append(because, style="italic")
        known = data.get("known_words")
        if isinstance(known, int | float) and known < KNOWN_FULL:
            say = reading_share(float(known))
            line.append(
                f" (knows {known:.0%} of the item's words: {say:.0%} of its say)", style="dim"
            )
        out.append(line)
    else:
        out.append(Text(f"    {terminal_safe(row['tagger'])} score {row['score']:.2f}"))
    return out
