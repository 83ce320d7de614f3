"""The ep-procedures plugin (plugins/ep_procedures.py): procedures' events become items tagged
legislation with the procedure's topic, linked to dossiers the digest shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, fast_fetch

PLUGINS = Path(__file__).parent.parent / "plugins"
EP = FIXTURES / "ep"


@pytest.fixture
def ep(project, server, monkeypatch):
    monkeypatch.setenv("HORIZON_PLUGINS_DIR", str(PLUGINS))
    for name in ("2022-0155", "2016-0132"):
        server.file(
            f"/api/v2/procedures/{name}", EP / f"{name}.json", content_type="application/ld+json"
        )
    project.write_config(
        [
            {
                "id": "ep",
                "type": "ep-procedures",
                "url": server.url("/api/v2/procedures"),
                "procedures": {"2022/0155(COD)": "csa-regulation", "2016/0132(COD)": None},
            }
        ],
        fetch=fast_fetch(),
    )
    return project


def test_events_become_items_tagged_legislation_with_dossiers(ep, server):
    out = ep.json("pull")
    assert out["sources"][0]["new"] == 6, out
    items = ep.json("items", "list", "--all")
    assert all("legislation" in i["themes"] for i in items)
    csa = [i for i in items if i["title"].startswith("2022/0155(COD)")]
    assert len(csa) == 4 and all("csa-regulation" in i["topics"] for i in csa)
    vote = next(i for i in csa if "Vote in committee" in i["title"])
    assert vote["published"] == "2023-11-14T00:00:00Z"
    assert "A-9-2023-0364" in vote["summary"]
    shown = ep.json("items", "show", str(vote["id"]))
    assert any(e["tagger"] == "source" for e in shown["evidence"])
    dossiers = list(ep.db().query("SELECT * FROM dossiers ORDER BY reference"))
    assert [d["reference"] for d in dossiers] == ["2016/0132(COD)", "2022/0155(COD)"]
    csa_dossier = dossiers[1]
    assert csa_dossier["title"] == "Preventing and combating child sexual abuse"
    assert csa_dossier["current_stage"] == "Awaiting committee decision"
    assert csa_dossier["next_step"] == "trilogue negotiations"
    assert csa_dossier["last_event_date"] == "2023-11-22"
    linked = ep.db().execute("SELECT count(*) FROM items WHERE dossier = '2022/0155(COD)'")
    assert linked.fetchone()[0] == 4
    hits = [h for h in server.hits if h.path.startswith("/api/v2/procedures/")]
    assert all("format=application%2Fld%2Bjson" in h.path for h in hits)
    again = ep.json("pull", "--force")
    assert again["sources"][0]["new"] == 0


def test_digest_shows_the_dossier_table(ep):
    ep.run("pull")
    result = ep.run("digest", "--from", "2023-11-01", "--to", "2023-11-30", "--no-record")
    assert result.exit_code == 0, result.output
    assert "### Dossiers" in result.stdout
    assert "2022/0155(COD)](https://oeil" in result.stdout and "(moved)" in result.stdout
    assert "trilogue negotiations" in result.stdout
    html = ep.run(
        "digest", "--from", "2023-11-01", "--to", "2023-11-30", "--format", "html", "--no-record"
    ).stdout
    assert '<table class="dossiers">' in html


def test_bad_procedure_reference_is_a_config_error(project, monkeypatch):
    monkeypatch.setenv("HORIZON_PLUGINS_DIR", str(PLUGINS))
    project.write_config(
        [
            {
                "id": "ep",
                "type": "ep-procedures",
                "url": "https://data.europarl.europa.eu/api/v2/procedures",
                "procedures": {"2022-0155": "csa-regulation"},
            }
        ]
    )
    result = project.run("pull")
    assert result.exit_code == 2
    assert "source 'ep'" in result.stderr and "not a procedure reference" in result.stderr


def test_an_answer_that_is_not_the_api_is_a_parse_error(project, server, monkeypatch):
    monkeypatch.setenv("HORIZON_PLUGINS_DIR", str(PLUGINS))
    server.route(
        "/api/v2/procedures/2022-0155", body=b"<html>maintenance</html>", content_type="text/html"
    )
    project.write_config(
        [
            {
                "id": "ep",
                "type": "ep-procedures",
                "url": server.url("/api/v2/procedures"),
                "procedures": {"2022/0155(COD)": None},
            }
        ],
        fetch=fast_fetch(),
    )
    out = project.json("pull")
    assert out["sources"][0]["error_class"] == "parse"
    assert json.dumps(out).count("not an EP procedure answer") == 1
