"""Which labelled items a change to the rules moves: the rules' themes on every labelled set,
with the shipped taxonomy of a git commit against the working tree's.

    python benchmarks/rule_changes.py [COMMIT]     # default HEAD; needs the git history

Prints each item whose themes changed, each change marked as a correction (it now agrees with
the item's label) or a loss, then the totals. A general rule mend should correct items and
lose none; a mend written for one item shows as one correction and nothing else, which is a
reason to look again. The held-out sets (`_corpus.HELD_OUT`) are counted, not listed: a rule
must never be written from their items, so their titles are not shown.
"""

from __future__ import annotations

import sys

from _corpus import HELD_OUT, LABELLED, old_taxonomy, rule_scores

from horizon.tagging import Doc, read_jsonl
from horizon.taxonomy import Taxonomy, load_taxonomy


def rule_themes(taxonomy: Taxonomy, docs: list[Doc]) -> list[set[str]]:
    """The themes the rules alone give each item (as `horizon tagger evaluate -t keywords`)."""
    return [{t for t, c in scores.items() if c >= 0.5} for scores in rule_scores(taxonomy, docs)]


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    before_taxonomy, after_taxonomy = old_taxonomy(commit), load_taxonomy()
    held_out = {name for names in HELD_OUT.values() for name in names}
    corrected = lost = 0
    hidden = [0, 0]  # the held-out sets' corrections and losses, counted, not listed
    for path in sorted(LABELLED.glob("tagging-*.jsonl")):
        pairs = read_jsonl(path, labelled=True)
        docs = [doc for doc, _ in pairs]
        befores = rule_themes(before_taxonomy, docs)
        afters = rule_themes(after_taxonomy, docs)
        for (doc, gold), before, after in zip(pairs, befores, afters, strict=True):
            for theme in sorted(before ^ after):
                right = (theme in after) == (theme in gold)
                corrected, lost = corrected + right, lost + (not right)
                if path.stem.removeprefix("tagging-") in held_out:
                    hidden[not right] += 1
                    continue
                change = f"+{theme}" if theme in after else f"-{theme}"
                print(
                    f"{'corrected' if right else 'LOST':9s} {path.stem[8:]:9s} {doc.id:9s} "
                    f"{change:17s} {doc.title[:70]}"
                )
    print(f"\nagainst {commit}: {corrected} theme(s) corrected, {lost} lost")
    print(f"  of which in the held-out sets (not listed): {hidden[0]} corrected, {hidden[1]} lost")


if __name__ == "__main__":
    main()
