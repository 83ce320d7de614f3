"""`horizon retag` and `horizon tagger`: re-apply, train, classify, evaluate."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from horizon import learn, queries
from horizon.commands.common import JsonOpt, check_sources, since_option, workspace
from horizon.errors import UsageError
from horizon.output import console, print_json, print_jsonl, progress_bar, render
from horizon.tagging import TaggerSet, evaluate, read_jsonl, tag_items, verdict_json
from horizon.workspace import Workspace

app = typer.Typer(
    help="Taggers: train the model, classify and evaluate files, show status.", no_args_is_help=True
)

FileArg = Annotated[
    Path,
    typer.Argument(
        help="JSON Lines: id, title, summary (optional content, url, language, published).",
        dir_okay=False,
    ),
]
TaggerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tagger",
        "-t",
        help="Only this tagger (repeatable), e.g. `-t keywords` for the rules alone.",
    ),
]


def retag(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only items published since: 7d, 2w or a date.")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-apply the current taggers to stored items (after the rules changed or a model was
    trained). Idempotent; analysts' decisions are kept and still win."""
    ws = workspace(ctx)
    check_sources(ws, source)
    taggers = ws.taggers()
    ids = queries.item_ids(
        ws.db, queries.ItemFilter(source=source or [], since=since_option(since), limit=None)
    )
    bar = progress_bar("retag", sys.stderr.isatty() and not as_json)
    task = bar.add_task("", total=len(ids))
    with bar:
        count = tag_items(ws.db, ids, taggers, lambda done: bar.advance(task, done))
    if as_json:
        print_json({"items": count, "taggers": taggers.names})
    else:
        console(stderr=True).print(f"Re-tagged {count} item(s) with {', '.join(taggers.names)}.")


@app.command("train")
def train(
    ctx: typer.Context,
    extra: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="Also learn from a labelled JSON Lines file (with gold 'themes').",
            dir_okay=False,
        ),
    ] = None,
    minimum: Annotated[
        int,
        typer.Option("--min", help="Refuse to train on fewer decided items than this.", min=1),
    ] = learn.MIN_EXAMPLES,
    as_json: JsonOpt = False,
) -> None:
    """Fit the `model` tagger on analysts' theme decisions, report by cross-validation what it
    adds over the rules alone, and make it the active model (re-run `horizon retag` to apply
    it to stored items)."""
    ws = workspace(ctx)
    examples = [pair for path in extra or [] for pair in read_jsonl(path, labelled=True)]
    rules = ws.taggers(only=["keywords"]).taggers[0]
    interactive = sys.stderr.isatty() and not as_json
    doing = "training: 5-fold cross-validation, then the model"
    with console(stderr=True).status(doing) if interactive else nullcontext():
        # learning from a file alone may make the store the model is kept in
        db = ws.create_db() if extra else ws.db
        result = learn.train(db, rules, ws.taxonomy, examples, minimum)
    if as_json:
        print_json({"model": result.model_id, **result.metrics})
        return
    out = console()
    out.print(
        f"Model {result.model_id} trained on {result.examples} decided item(s); "
        f"5-fold cross-validated macro-F1:"
    )
    for name in ("rules", "model", "combined"):
        out.print(f"  {name:9s} {result.metrics[name]['macro_f1']:.3f}")
    seed = learn.seed_info()
    if seed is not None and "seed" in ws.taggers().names:
        out.print(
            f"(combined: the rules and this model alone. In `pull` it is averaged with the seed "
            f"model by the examples each learned from: {result.examples:,} against "
            f"{seed['examples']:,}.)"
        )
    out.print("Run `horizon retag` to apply it to stored items.")


@app.command("classify")
def classify(
    ctx: typer.Context, file: FileArg, only: TaggerOpt = None, as_json: JsonOpt = False
) -> None:
    """Tag each line of a JSON Lines file with the same taggers as `pull` and print one JSON
    object per line: id, themes, topics, fourp, scores (per theme, 0-1) and evidence."""
    ws = workspace(ctx)
    pairs = read_jsonl(file, labelled=False)
    taggers = _taggers(ws, only)
    docs = [doc for doc, _ in pairs]
    # The bar only where the lines go elsewhere: on the same terminal it would draw over them.
    bar = progress_bar("classify", sys.stderr.isatty() and not sys.stdout.isatty())
    task = bar.add_task("", total=len(docs))
    with bar:
        verdicts = taggers.verdicts(docs, lambda done: bar.advance(task, done))
        print_jsonl(verdict_json(doc, verdict) for doc, verdict in verdicts)


@app.command("evaluate")
def evaluate_file(
    ctx: typer.Context,
    file: FileArg,
    errors: Annotated[
        bool, typer.Option("--errors", help="Also list the items got wrong.")
    ] = False,
    only: TaggerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per-theme precision, recall and F1, and macro-F1, of the automatic themes against the
    gold `themes` in a JSON Lines file."""
    ws = workspace(ctx)
    pairs = read_jsonl(file, labelled=True)
    taggers = _taggers(ws, only)
    bar = progress_bar("evaluate", sys.stderr.isatty() and not as_json)
    task = bar.add_task("", total=len(pairs))
    with bar:
        result = evaluate(pairs, taggers, lambda done: bar.advance(task, done))
    if as_json:
        data = result.as_json()
        if errors:
            data["errors"] = result.errors
        print_json(data)
        return
    rows = [{"theme": t, **v} for t, v in result.per_theme.items()]
    render(rows, ["theme", "precision", "recall", "f1", "support", "tp", "fp", "fn"], fmt="table")
    console().print(f"macro-F1 {result.macro_f1:.3f} over {result.items} item(s)")
    if errors:
        render(
            result.errors,
            ["id", "gold", "predicted", "title"],
            fmt="table",
            max_width={"title": 70},
        )


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The taggers that tag new items, the taxonomy version, and the trained models."""
    ws = workspace(ctx)
    taggers = ws.taggers()
    models: list[dict[str, Any]] = []  # no store yet: no decisions, no trained model
    decided = 0
    if ws.has_db:
        models = list(
            ws.db.query(
                "SELECT id, created_at, examples, active, metrics FROM tag_models ORDER BY id DESC"
            )
        )
        decisions = "SELECT count(*) FROM reviews WHERE themes IS NOT NULL"
        decided = ws.db.execute(decisions).fetchone()[0]
    data: dict[str, Any] = {
        "taggers": [
            {"name": t.name, "role": t.role, "version": t.version} for t in taggers.taggers
        ],
        "taxonomy": ws.taxonomy.version,
        "agree": ws.taxonomy.agree,
        "theme_agree": {
            name: theme.agree for name, theme in ws.taxonomy.themes.items() if theme.agree
        },
        "model_weight": ws.taxonomy.model_weight,
        "model_alone": ws.taxonomy.model_alone,
        "decided_items": decided,
        "models": models,
    }
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(f"taxonomy {ws.taxonomy.version}; {decided} item(s) with analysts' theme decisions")
    for t in taggers.taggers:
        out.print(f"  {t.name} ({t.role}) {t.version}")
    if any(t.role == "supporting" for t in taggers.taggers):
        own = "; ".join(f"{name}'s own: {value:g}" for name, value in data["theme_agree"].items())
        out.print(
            f"A tag is given where the mean of the rules' confidence and the models' "
            f"probability, the models weighing {ws.taxonomy.model_weight:g} (the taxonomy's "
            f"`model_weight`), reaches {ws.taxonomy.agree:g} (its `agree`"
            + (f"; {own})" if own else ")")
            + (
                "; a theme the rules have no term for needs the models' probability "
                f"{ws.taxonomy.model_alone:g} too (its `model_alone`)."
                if ws.taxonomy.model_alone
                else "."
            )
        )
    if not models:
        out.print(
            "No model trained yet: `horizon tagger train` once analysts have decided "
            f"{learn.MIN_EXAMPLES} items."
        )
    for m in models:
        import json

        metrics = json.loads(m["metrics"] or "{}")
        combined = metrics.get("combined", {}).get("macro_f1")
        out.print(
            f"  model {m['id']} {'(active) ' if m['active'] else ''}{m['created_at']}: "
            f"{m['examples']} examples, cross-validated macro-F1 {combined}"
        )


def register(root: typer.Typer) -> None:
    root.command("retag")(retag)
    root.add_typer(app, name="tagger")


def _taggers(ws: Workspace, only: list[str] | None) -> TaggerSet:
    """The taggers `pull` uses, or only those named (each must exist and be ready)."""
    if not only:
        return ws.taggers()
    unknown = sorted(set(only) - set(ws.tagger_plugins))
    if unknown:
        raise UsageError(
            f"no tagger named {', '.join(unknown)}; taggers: {', '.join(ws.tagger_plugins)}"
        )
    taggers = ws.taggers(only=only)
    idle = sorted(set(only) - set(taggers.names))
    if idle:
        raise UsageError(f"tagger {', '.join(idle)} is not ready (a model not trained yet?)")
    return taggers
