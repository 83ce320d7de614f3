"""The `ep-procedures` source type: legislative procedures followed through the European
Parliament's Open Data API (v2, no key, CC BY 4.0). Each event of a procedure becomes an item
tagged `legislation` (and the procedure's topic), linked to a dossier record.

API calls (one per procedure, per pull; conditional GET is not offered by the API, so an
unchanged answer is recognised by its hash and not parsed again):

    GET {url}/{process_id}?format=application%2Fld%2Bjson
        e.g. https://data.europarl.europa.eu/api/v2/procedures/2022-0155?format=...

The answer is JSON-LD: `{"data": [procedure]}` where the procedure carries `process_id`
(2022-0155), `label` (2022/0155(COD)), `process_type`, a title (`process_title`, by
language), the current stage (`process_stage`) and its events in `consists_of`, each with
`activity_id`, `activity_date`, `had_activity_type` (e.g. def/ep-activities/PLENARY_VOTE),
an optional label and the documents it is based on (`based_on_a_realization_of`). Fields are
read defensively: a missing one leaves that part of the item empty rather than failing.

Not built: following procedures found by a search rather than listed by reference. The API's
list endpoint could not be examined from the machine this was written on (no internet), so the
plugin takes an explicit list; add a procedure by adding its reference.

feeds.yaml:

    - id: ep-procedures
      type: ep-procedures
      url: https://data.europarl.europa.eu/api/v2/procedures
      procedures:
        "2022/0155(COD)": csa-regulation        # reference: the taxonomy topic it feeds
        "2018/0108(COD)": e-evidence
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from horizon import hookimpl
from horizon.config import SourceConfig
from horizon.errors import FetchError
from horizon.feeds import iso_date
from horizon.models import Entry, Fetched, ParsedFeed
from horizon.sources import FetchContext, SourceType

REFERENCE = re.compile(r"^(\d{4})/(\d{4})\(([A-Z]{3})\)$")
OEIL = "https://oeil.secure.europarl.europa.eu/oeil/en/procedure-file?reference="
# What usually comes after a stage, for the dossier's "next expected step".
NEXT_STEP = {
    "REFERRAL": "committee report",
    "COMMITTEE_TABLING_REPORT": "plenary vote",
    "COMMITTEE_VOTE_REPORT": "plenary vote or interinstitutional negotiations",
    "COMMITTEE_DECISION_OPEN_NEGOTIATIONS": "trilogue negotiations",
    "PLENARY_ADOPT_POSITION": "Council first-reading position or trilogue agreement",
    "PLENARY_AMEND_PROPOSAL": "trilogue negotiations",
    "TRILOGUE_AGREEMENT": "approval by Parliament and Council",
    "PLENARY_ENDORSE_AGREEMENT": "Council adoption",
    "COUNCIL_ADOPTION": "signature and publication in the Official Journal",
    "SIGNATURE": "publication in the Official Journal",
    "PUBLICATION_OFFICIAL_JOURNAL": "entry into force and application",
}


class ProceduresOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedures: dict[str, str | None]

    @field_validator("procedures")
    @classmethod
    def _references(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        if not value:
            raise ValueError("list at least one procedure reference, e.g. 2022/0155(COD)")
        for reference in value:
            if not REFERENCE.match(reference):
                raise ValueError(f"{reference!r} is not a procedure reference like 2022/0155(COD)")
        return value


def process_id(reference: str) -> str:
    match = REFERENCE.match(reference)
    assert match is not None
    return f"{match.group(1)}-{match.group(2)}"


def _last(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def _text(value: Any, language: str = "en") -> str:
    """A JSON-LD string that may be plain, by language, or a list of those."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    if isinstance(value, list) and value:
        return _text(value[0], language)
    return ""


def _humanise(code: str) -> str:
    words = code.replace("_", " ").replace("-", " ").strip().lower()
    return words[:1].upper() + words[1:] if words else "Event"


class EpProcedures(SourceType):
    name = "ep-procedures"
    description = "Legislative procedures from the European Parliament's Open Data API."
    needs = "url"
    options_model = ProceduresOptions

    async def fetch(self, source: SourceConfig, ctx: FetchContext) -> Fetched:
        options = ProceduresOptions.model_validate(source.options)
        base = ctx.url.rstrip("/")
        documents = []
        for reference in options.procedures:
            url = f"{base}/{process_id(reference)}?format=application%2Fld%2Bjson"
            document = await ctx.get(
                url, conditional=False, headers={"Accept": "application/ld+json"}
            )
            if document is not None:
                documents.append(document)
        return Fetched(documents=documents)

    def parse(self, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
        options = ProceduresOptions.model_validate(source.options)
        entries: list[Entry] = []
        for doc in fetched.documents:
            try:
                data = json.loads(doc.body.decode("utf-8"))
                procedure = data["data"][0]
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError):
                raise FetchError(
                    "parse",
                    f"{doc.url}: not an EP procedure answer (expected JSON-LD with a 'data' list)",
                ) from None
            entries.extend(self._events(procedure, options))
        return ParsedFeed(
            entries=entries,
            title="European Parliament procedures",
            parser="ep-procedures",
            format="ep-api-v2",
        )

    def _events(self, procedure: dict[str, Any], options: ProceduresOptions) -> list[Entry]:
        reference = _text(procedure.get("label")) or str(procedure.get("process_id", ""))
        topic = options.procedures.get(reference)
        title = _text(procedure.get("process_title")) or reference
        activities = [a for a in procedure.get("consists_of") or [] if isinstance(a, dict)]
        activities.sort(key=lambda a: str(a.get("activity_date") or ""))
        latest = activities[-1] if activities else {}
        stage_code = _last(procedure.get("process_stage")) or _last(latest.get("had_activity_type"))
        dossier = {
            "reference": reference,
            "title": title,
            "procedure_type": _last(procedure.get("process_type")),
            "current_stage": _humanise(stage_code) if stage_code else None,
            "next_step": NEXT_STEP.get(_last(latest.get("had_activity_type"))),
            "last_event_date": str(latest.get("activity_date") or "") or None,
            "url": OEIL + reference,
        }
        entries = []
        for activity in activities:
            code = _last(activity.get("had_activity_type"))
            label = _text(activity.get("activity_label")) or _humanise(code)
            date = str(activity.get("activity_date") or "")
            documents = [_last(d) for d in activity.get("based_on_a_realization_of") or []]
            summary = f"{reference}, {title}: {label} on {date or 'an unknown date'}."
            if documents:
                summary += f" Documents: {', '.join(documents)}."
            entries.append(
                Entry(
                    title=f"{reference} {label}: {title}",
                    link=OEIL + reference,
                    guid=f"{reference}#{activity.get('activity_id') or _last(activity.get('id'))}",
                    summary=html.escape(summary),
                    published=iso_date(date),
                    published_raw=date or None,
                    language="en",
                    extra={
                        "dossier": dossier,
                        "stage": label,
                        "activity_type": code,
                        "documents": documents,
                        "tags": {
                            "by": "ep-procedures",
                            "themes": ["legislation"],
                            "topics": [topic] if topic else [],
                        },
                    },
                )
            )
        return entries


@hookimpl
def register_sources(register: Callable[[SourceType], None]) -> None:
    register(EpProcedures())
