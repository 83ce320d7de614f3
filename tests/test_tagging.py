"""Tagging: the rule engine, the taxonomy and its overrides, evidence, quality floors, the model."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from horizon import learn
from horizon.errors import ConfigError
from horizon.rules import RuleSet, fold, fold_words
from horizon.tagging import (
    KNOWN_FULL,
    KNOWN_NONE,
    Doc,
    TaggerSet,
    TaggingContext,
    evaluate,
    read_jsonl,
)
from horizon.taxonomy import load_taxonomy, shipped_taxonomy_data
from tests.conftest import fast_fetch

DATA = Path(__file__).parent / "data"
REQUIRED_TOPICS = [
    "encryption",
    "anonymity-networks",
    "cloud-storage",
    "live-streaming",
    "hosting-abuse",
    "payments-and-crypto",
    "detection-tools",
    "ai-generated-material",
    "self-generated-material",
    "grooming",
    "sexual-extortion",
    "offender-behaviour",
    "awareness-prevention",
    "data-retention",
    "surveillance-law",
    "pnr",
    "lawful-access",
    "e-evidence",
    "csa-regulation",
    "lanzarote-and-2011-93",
    "weprotect",
    "global-alliance",
    "europol-interpol-operations",
    "hotlines-and-ngos",
    "public-private-partnership",
    "le-capacity",
]


@pytest.fixture(scope="module")
def shipped():
    return load_taxonomy()


@pytest.fixture(scope="module")
def rules(shipped):
    return RuleSet(shipped)


def test_rules_are_compiled_at_the_first_item_to_tag_and_once(shipped, monkeypatch):
    """Preparing the `keywords` tagger compiles nothing (a pull with nothing new to tag pays
    nothing for the rules); the first item to tag compiles them, once per taxonomy."""
    from horizon.default_plugins import keywords

    monkeypatch.setattr(keywords, "_COMPILED", {})
    tagger = keywords.KeywordTagger()
    assert tagger.prepare(TaggingContext(shipped))
    assert keywords._COMPILED == {} and tagger.version.endswith(tagger.digest[:8])
    docs = [Doc(id=1, title="Council agrees its position on chat control", text="")]
    first = tagger.tag(docs)
    assert list(keywords._COMPILED) == [tagger.digest]
    compiled = keywords._COMPILED[tagger.digest]
    assert tagger.tag(docs) == first and keywords._COMPILED[tagger.digest] is compiled
    assert any(t.value == "legislation" and t.confidence >= 0.5 for t in first[0])


def themes(rules, title, text=""):
    scored = rules.score(title, text)
    return {t for t, v in scored.themes.items() if v >= rules.thresholds["themes"][t]}


def topics(rules, title, text=""):
    scored = rules.score(title, text)
    return {t for t, v in scored.topics.items() if v >= rules.thresholds["topics"][t]}


def test_fold_ignores_case_accents_and_punctuation():
    assert fold("Vérification de l’âge — E2EE!") == "verification de l age e2ee"
    assert fold("STRAẞE Straße") == "strasse strasse"
    assert fold("шифрование") == "шифрование"
    # Latin accents are folded inside other scripts too; CJK letters stay, punctuation goes.
    assert fold("Закон «Straße» über Überwachung") == "закон strasse uber uberwachung"
    assert fold("美国证券交易委员会 SEC，“Ｃｈａｔ”") == "美国证券交易委员会 sec chat"
    assert fold("don’t—ﬁle") == "don t file"
    # Only punctuation outside ASCII: the same as with ASCII spaces, control characters too.
    assert fold("“Don’t” –\tstop…\x0b") == fold('"Don t" - stop...') == "don t stop"
    # Greek letters lose their accents and breathings (writers often leave them off), and a
    # final sigma is a sigma.
    assert fold("Ψηφίστηκε ο νόμος· ἀΐδιος") == "ψηφιστηκε ο νομοσ αιδιοσ"


@given(st.text(alphabet="aZéÉßẞæøłıİ’—«»\u00a0 ﬁＳ\u0301-_.,1", max_size=40))
def test_fold_of_latin_text_is_idempotent_and_normalised(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
    assert folded == folded.casefold()


@given(
    st.lists(
        st.text(alphabet="aZé ßæ’—«\u00a0ﬁ\u0301-.,1\nшифр美\x00νόμοςἀ", max_size=20)
        | st.text(max_size=10),
        max_size=12,
    )
)
def test_fold_words_of_many_texts_is_fold_of_each(texts):
    # Mixed batches: ASCII, Latin with accents, other scripts, newlines inside a text.
    assert fold_words(texts) == [fold(text).split() for text in texts]


# Common words of the EU's languages that an English or German veto once began: "hund*" (dogs)
# vetoed German "hunderte" (hundreds), "drug*" Croatian "drugih" (other), "scam*" Italian
# "scambio" (exchange), "hair*" Finnish "hairintaa" (harassment), "gang*" Swedish "gången".
COMMON_WORDS = [
    "hunderte",
    "hundert",
    "drugih",
    "drugi",
    "scambio",
    "scambiavano",
    "hairintaa",
    "gangen",
    "petites",
    "petit",
    "dogodek",
    "dognet",
]


def matched(rules, terms, words):
    """Which of these term ids match any of these words, as the compiled rules match text."""
    return sorted(
        {(rules.labels[t], word) for word in words for t in rules.hits(word, "")[0] if t in terms}
    )


def test_no_veto_of_the_shipped_taxonomy_begins_a_common_word_of_another_language(shipped):
    rules = RuleSet(shipped)
    vetoes = frozenset().union(*(r.unless for r in rules.rules), *rules.excludes.values())
    assert not matched(rules, vetoes | rules.vetoes, COMMON_WORDS)


# Words of English and the larger EU languages that a term for the other languages could begin
# or be: "davan*" (Latvian gifts) began French "davantage", "voora*" (Estonian stranger) Dutch
# "vooral", "lapsed" (Estonian children) is English, "sud" (a court) French for south.
LARGER_LANGUAGE_WORDS = [
    "davantage",
    "vooral",
    "lapsed",
    "sud",
    "cedo",
    "gol",
    "fete",
    "pelicula",
    "palvelu",
    "bank",
    "banner",
    "born",
]


def test_no_term_for_the_other_languages_begins_a_word_of_the_larger_ones(shipped):
    rules = RuleSet(shipped)
    terms = rules._group([f"@{name}" for name in shipped.sets if name.endswith("_eu")])
    assert not matched(rules, terms, LARGER_LANGUAGE_WORDS)


def test_shipped_taxonomy_has_the_four_themes_topics_and_4p(shipped):
    assert list(shipped.themes) == [
        "technology",
        "human-behaviour",
        "legislation",
        "organisational",
    ]
    assert set(REQUIRED_TOPICS) <= set(shipped.topics)
    assert set(shipped.fourp) == {"pursue", "prevent", "protect", "prepare"}


def test_shipped_taxonomy_reads_as_feeds_yaml_is_read():
    """It is read with libyaml (YAML 1.1) for speed; a deployment's override with ruamel (YAML
    1.2). They must agree: a term such as `no`, `on` or `1:30` would differ."""
    from importlib import resources

    from ruamel.yaml import YAML

    text = resources.files("horizon").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    assert shipped_taxonomy_data() == YAML(typ="safe").load(text)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Online grooming of children rises, police say", "", {"grooming"}),
        ("Winter grooming guide: keeping your dog's coat healthy", "children love dogs", set()),
        ("EU PNR directive: court limits use of passenger data", "", {"pnr"}),
        ("Indian Railways upgrades PNR status enquiry system", "passenger data online", set()),
        ("Bundestag debattiert Vorratsdatenspeicherung", "", {"data-retention"}),
        ("Conservation des données : le Conseil d'État tranche", "", {"data-retention"}),
        ("Chatkontrolle: Rat vertagt Abstimmung", "", {"csa-regulation", "detection-tools"}),
        ("Apple rolls out end-to-end encryption for iCloud backups", "", {"encryption"}),
        ("Benchmark: AES-256 versus ChaCha20 encryption on ARM", "", set()),
        ("Sextortion cases against teenagers surge", "", {"sexual-extortion"}),
        ("Sextant app helps sailors navigate", "", set()),
        ("WeProtect Global Alliance publishes Global Threat Assessment", "", {"weprotect"}),
    ],
)
def test_context_bound_rules(rules, title, text, expected):
    found = topics(rules, title, text)
    assert expected <= found
    if not expected:
        assert found == set()


def test_law_enforcement_is_not_a_law(shipped):
    taxonomy = load_taxonomy(
        {
            "topics": {
                "test-law": {
                    "theme": "legislation",
                    "label": "t",
                    "rules": [{"terms": ["@cse"], "and": [["law"]], "near": 10}],
                }
            }
        }
    )
    rs = RuleSet(taxonomy)
    assert (
        "test-law" not in rs.score("Child sexual abuse: law enforcement seize servers", "").topics
    )
    assert "test-law" in rs.score("Child sexual abuse: new law passed", "").topics


def test_proximity_and_prefix_and_infix(shipped):
    taxonomy = load_taxonomy(
        {
            "topics": {
                "probe": {
                    "theme": "technology",
                    "label": "p",
                    "rules": [
                        {"terms": ["encrypt*"], "and": [["*missbrauch*"]], "near": 5, "weight": 3}
                    ],
                }
            }
        }
    )
    rs = RuleSet(taxonomy)
    close = rs.score("", "encrypted chats hide Kindesmissbrauchsdarstellungen online")
    assert close.topics.get("probe") == 3
    far = rs.score("", "encrypted " + "word " * 20 + "Kindesmissbrauch")
    assert "probe" not in far.topics


@pytest.mark.parametrize(
    "terms",
    [
        ["zorblax quux*", "zorblax quux wibble*", "zorblax*"],
        ["zorblax*", "zorblax quux wibble*", "zorblax quux*"],
        ["zorblax quux wibble*", "zorblax*", "zorblax quux*"],
    ],
)
def test_evidence_names_the_longest_term_matched_at_a_place_whatever_their_order(terms):
    """Terms that match at the same place tie as evidence: the longest (the most specific)
    is named, so reordering or renumbering the taxonomy's terms does not change it. (Words
    no shipped rule has, so that the order given here is the order of their term ids.)"""
    taxonomy = load_taxonomy(
        {
            "topics": {
                "probe": {
                    "theme": "technology",
                    "label": "p",
                    "rules": [{"terms": terms, "and": [["frobnicated"]]}],
                }
            }
        }
    )
    scored = RuleSet(taxonomy).score("Zorblax quux wibbles frobnicated", "")
    (match,) = [m for m in scored.matches if m.owner == "topic:probe"]
    assert [(t["term"], t["text"]) for t in match.terms] == [
        ("zorblax quux wibble*", "zorblax quux wibble"),
        ("frobnicated", "frobnicated"),
    ]


def test_every_match_is_found_where_it_starts_overlapping_ones_too(shipped):
    # One automaton pass reports every term, a phrase and the words inside it, and a match in
    # another script at its offset in characters (not bytes) of the folded document.
    taxonomy = load_taxonomy(
        {
            "topics": {
                "probe": {
                    "theme": "technology",
                    "label": "p",
                    "rules": [{"terms": ["end to end", "end", "*ende*", "шифр*"]}],
                }
            }
        }
    )
    rs = RuleSet(taxonomy)
    found, doc, _ = rs.hits("Шифрование end-to-end", "Verschlüsselung endet")
    probe = {"end to end", "end", "*ende*", "шифр*"}
    labels = {rs.labels[t]: starts for t, starts in found.items() if rs.labels[t] in probe}
    assert set(labels) == probe
    # A word's match starts at the space before it; an infix term's at its first letter.
    assert [doc[s : s + 12] for s in labels["end to end"]] == [" end to end "]
    assert [doc[s : s + 5] for s in labels["end"]] == [" end ", " end "]
    assert [doc[s : s + 11] for s in labels["шифр*"]] == [" шифрование"]
    assert [doc[s : s + 4] for s in labels["*ende*"]] == ["ende"]


def test_unless_and_exclude_veto(shipped):
    taxonomy = load_taxonomy(
        {
            "topics": {
                "probe": {
                    "theme": "technology",
                    "label": "p",
                    "exclude": ["benchmark"],
                    "rules": [{"terms": ["tor"], "unless": ["football"], "weight": 3}],
                }
            }
        }
    )
    rs = RuleSet(taxonomy)
    assert "probe" in rs.score("tor", "").topics
    assert "probe" not in rs.score("tor football", "").topics
    vetoed = rs.score("tor benchmark", "")
    assert "probe" not in vetoed.topics and vetoed.excluded["probe"] == ["benchmark"]


def test_evidence_names_terms_and_fields(rules):
    scored = rules.score("Bundesregierung lehnt Chatkontrolle ab", "")
    match = next(m for m in scored.matches if m.owner == "topic:csa-regulation")
    assert match.terms[0]["term"] == "chat kontrolle" or match.terms[0]["text"] == "chatkontrolle"
    assert match.terms[0]["field"] == "title"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"topics": {"x": {"theme": "tech", "label": "X", "rules": []}}}, "unknown theme 'tech'"),
        (
            {
                "topics": {
                    "x": {"theme": "technology", "label": "X", "rules": [{"terms": ["@nope"]}]}
                }
            },
            "unknown set '@nope'",
        ),
        (
            {
                "topics": {
                    "x": {"theme": "technology", "label": "X", "rules": [{"terms": ["a* b"]}]}
                }
            },
            "topic 'x' rule 1: 'a* b': '*' stands for any ending or beginning only at a term's",
        ),
        (
            {
                "topics": {
                    "x": {
                        "theme": "technology",
                        "label": "X",
                        "rules": [{"terms": ["a"], "weight": -1}],
                    }
                }
            },
            "'topics.x.rules.0.weight'",
        ),
        ({"topics": {"x": {"theme": "technology"}}}, "'topics.x.label' is missing"),
        (
            {"themes": {"technology": {"label": "T"}, "extra": {"label": "E"}}},
            "themes must be exactly",
        ),
        ({"fourp": {"protecc": {"label": "P"}}}, "unknown 4P id"),
        (
            {"topics": {"x": {"theme": "technology", "label": "X", "rules": [{"terms": []}]}}},
            "'topics.x.rules.0.terms'",
        ),
        ({"agree": 0}, "'agree'"),
        ({"agree": 1.5}, "'agree'"),
        ({"model_alone": -0.1}, "'model_alone'"),
        ({"model_weight": -0.1}, "'model_weight'"),
        ({"model_weight": 2}, "'model_weight'"),
    ],
)
def test_bad_taxonomy_overrides_are_clear_errors(override, message):
    with pytest.raises(ConfigError) as info:
        load_taxonomy(override, where="feeds.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("feeds.yaml")


def test_a_fault_in_the_shipped_taxonomy_names_it_not_feeds_yaml(monkeypatch):
    data = shipped_taxonomy_data()
    data["sets"]["broken"] = ["fake sum*ons"]
    monkeypatch.setattr("horizon.taxonomy.shipped_taxonomy_data", lambda: data)
    with pytest.raises(ConfigError) as info:
        load_taxonomy()
    assert str(info.value).startswith("the shipped taxonomy.yaml, taxonomy set 'broken'")
    assert "feeds.yaml" not in str(info.value)


def test_override_extends_rules_and_sets(shipped):
    taxonomy = load_taxonomy(
        {
            "sets": {"cse": ["zzzabuse"]},
            "topics": {
                "grooming": {"rules": [{"terms": ["lokkertje"], "weight": 3}]},
                "new-topic": {
                    "theme": "organisational",
                    "label": "N",
                    "rules": [{"terms": ["vgt board"]}],
                },
            },
        }
    )
    assert len(taxonomy.topics["grooming"].rules) == len(shipped.topics["grooming"].rules) + 1
    assert "zzzabuse" in taxonomy.sets["cse"] and "csam" in taxonomy.sets["cse"]
    rs = RuleSet(taxonomy)
    assert "grooming" in rs.score("lokkertje", "").topics
    assert rs.score("The VGT board met", "").topics.get("new-topic") == 4


def test_taxonomy_file_from_feeds_yaml(project, tmp_path):
    (project.root / "extra-taxonomy.yaml").write_text(
        "topics:\n  vgt-board:\n    theme: organisational\n    label: VGT board\n"
        "    rules:\n      - terms: [vgt board meeting]\n"
    )
    project.write_config([], taxonomy="extra-taxonomy.yaml")
    out = project.run("tagger", "status", "--json")
    assert out.exit_code == 0, out.output
    status = json.loads(out.stdout)
    assert (status["agree"], status["model_weight"], status["model_alone"]) == (0.35, 0.7, 0.5)
    assert status["theme_agree"] == {"human-behaviour": 0.4}
    (project.root / "extra-taxonomy.yaml").write_text(
        "agree: 0.5\nmodel_weight: 0.5\nmodel_alone: 0.6\n"
        "themes:\n  human-behaviour:\n    agree: 0.6\n"
    )
    status = json.loads(project.run("tagger", "status", "--json").stdout)
    assert (status["agree"], status["model_weight"], status["model_alone"]) == (0.5, 0.5, 0.6)
    assert status["theme_agree"] == {"human-behaviour": 0.6}
    text = " ".join(project.run("tagger", "status").stdout.split())
    assert "weighing 0.5 (the taxonomy's `model_weight`), reaches 0.5 (its `agree`;" in text
    assert "human-behaviour's own: 0.6)" in text
    assert "needs the models' probability 0.6 too (its `model_alone`)" in text
    (project.root / "extra-taxonomy.yaml").write_text(
        "topics:\n  vgt-board:\n    theme: board\n    label: VGT\n"
    )
    bad = project.run("pull")
    assert bad.exit_code == 2
    assert "extra-taxonomy.yaml" in bad.stderr and "unknown theme 'board'" in bad.stderr


# Quality floors: a regression in the rules fails CI. Measured values are in docs/taxonomy.md
# and, round by round, docs/tagging-history.md; the floors sit a little below them so that
# harmless rule edits do not fail the build.
FLOORS = {
    "tagging-dev.jsonl": (0.91, 0.80),
    "tagging-holdout.jsonl": (0.83, 0.80),
    "tagging-blind.jsonl": (0.91, 0.80),
    "tagging-final.jsonl": (0.80, 0.60),  # human-behaviour precision is the weak spot here
    # three sets of 160, each leaning on one or two themes: measured together
    "tagging-extra-c.jsonl tagging-extra-d.jsonl tagging-extra-e.jsonl": (0.69, 0.65),
    # the third and fourth rounds (organisational precision is the weak spot of the third)
    "tagging-extra-i.jsonl tagging-extra-j.jsonl tagging-extra-k.jsonl": (0.66, 0.55),
    "tagging-extra-l.jsonl tagging-extra-m.jsonl tagging-extra-n.jsonl": (0.65, 0.65),
    # the fifth and sixth rounds (first measured with the rules alone at 0.708 and 0.721)
    "tagging-extra-o.jsonl tagging-extra-p.jsonl tagging-extra-q.jsonl": (0.69, 0.65),
    "tagging-extra-r.jsonl tagging-extra-s.jsonl tagging-extra-t.jsonl": (0.71, 0.50),
    # the seventh round (first measured with the rules alone at 0.610)
    "tagging-extra-u.jsonl tagging-extra-v.jsonl tagging-extra-w.jsonl": (0.60, 0.40),
    # the eighth round (first measured with the rules alone at 0.638)
    "tagging-extra-x.jsonl tagging-extra-y.jsonl tagging-extra-z.jsonl": (0.63, 0.65),
    # the ninth round (first measured with the rules alone at 0.646; organisational precision
    # is its weak spot, the line its writers drew)
    "tagging-extra-aa.jsonl tagging-extra-ab.jsonl tagging-extra-ac.jsonl": (0.65, 0.35),
    # the tenth round (first measured with the rules alone at 0.615; half of it in languages
    # other than English)
    "tagging-extra-ad.jsonl tagging-extra-ae.jsonl tagging-extra-af.jsonl": (0.62, 0.60),
    # the eleventh round (first measured with the rules alone at 0.613; organisational
    # precision is its weak spot)
    "tagging-extra-ag.jsonl tagging-extra-ah.jsonl tagging-extra-ai.jsonl": (0.60, 0.30),
    # the twelfth round (first measured with the rules alone at 0.631, then read for the rules)
    "tagging-extra-aj.jsonl tagging-extra-ak.jsonl tagging-extra-al.jsonl": (0.65, 0.70),
    # the thirteenth round (first measured with the rules alone at 0.598, then read for the
    # rules: 0.706; a third of it in central and eastern European and Nordic languages)
    "tagging-extra-am.jsonl tagging-extra-an.jsonl tagging-extra-ao.jsonl": (0.67, 0.60),
    # the fourteenth round, 90% in those languages (first measured with the rules alone at
    # 0.328, then read for the rules: 0.896)
    "tagging-extra-ap.jsonl tagging-extra-aq.jsonl tagging-extra-ar.jsonl": (0.86, 0.85),
    # the fifteenth round (first measured with the rules alone at 0.640, then read for the
    # rules: 0.800)
    "tagging-extra-as.jsonl tagging-extra-at.jsonl tagging-extra-au.jsonl": (0.76, 0.65),
    # the sixteenth round (first measured with the rules alone at 0.656, then read for the
    # rules: 0.749)
    "tagging-extra-av.jsonl tagging-extra-aw.jsonl tagging-extra-ax.jsonl": (0.72, 0.70),
    # the seventeenth round (first measured with the rules alone at 0.578, then read for the
    # rules: 0.713)
    "tagging-extra-ay.jsonl tagging-extra-az.jsonl tagging-extra-ba.jsonl": (0.68, 0.64),
    # the eighteenth round (first measured with the rules alone at 0.661, then read for the
    # rules: 0.670)
    "tagging-extra-bb.jsonl tagging-extra-bc.jsonl tagging-extra-bd.jsonl": (0.64, 0.47),
    # the nineteenth (first measured with the rules alone at 0.688, then opened: 0.690)
    "tagging-extra-bg.jsonl tagging-extra-bh.jsonl tagging-extra-bi.jsonl": (0.66, 0.65),
    # the twentieth (first measured with the rules alone at 0.652; then opened for the seed
    # model, no rule written from it)
    "tagging-extra-bj.jsonl tagging-extra-bk.jsonl tagging-extra-bl.jsonl": (0.62, 0.68),
    # the twenty-first (first measured with the rules alone at 0.708, then read for the rules:
    # 0.718; organisational precision, 0.52, is its weak spot: its near misses are close by
    # design)
    "tagging-extra-bm.jsonl tagging-extra-bn.jsonl tagging-extra-bo.jsonl": (0.69, 0.48),
    # the twenty-second (first measured with the rules alone at 0.692, then read for the rules:
    # 0.698)
    "tagging-extra-bp.jsonl tagging-extra-bq.jsonl tagging-extra-br.jsonl": (0.67, 0.72),
    # the twenty-third, labelled from the guide alone (first measured with the rules alone at
    # 0.765; human-behaviour precision, 0.63, is its weak spot; then opened for the seed model,
    # no rule written from it)
    "tagging-extra-bs.jsonl tagging-extra-bt.jsonl tagging-extra-bu.jsonl": (0.73, 0.58),
    # the twenty-fourth, labelled from the guide alone (first measured with the rules alone at
    # 0.688; organisational, 21 items, precision 0.44; then opened: 0.689)
    "tagging-extra-bv.jsonl tagging-extra-bw.jsonl tagging-extra-bx.jsonl": (0.66, 0.40),
    # the twenty-fifth, labelled from the guide alone (first measured with the rules alone at
    # 0.698; human-behaviour precision 0.56; then opened and mended: 0.726)
    "tagging-extra-by.jsonl tagging-extra-bz.jsonl tagging-extra-ca.jsonl": (0.70, 0.54),
    # the twenty-sixth, labelled from the guide alone (first measured with the rules alone at
    # 0.794; technology precision 0.83; then opened and mended: 0.810)
    "tagging-extra-cb.jsonl tagging-extra-cc.jsonl tagging-extra-cd.jsonl": (0.78, 0.80),
    # the twenty-seventh, labelled from the guide alone (first measured with the rules alone at
    # 0.676; organisational precision 0.63, human-behaviour 0.65; then opened and mended: 0.688)
    "tagging-extra-ce.jsonl tagging-extra-cf.jsonl tagging-extra-cg.jsonl": (0.66, 0.62),
    # the twenty-eighth, labelled from the guide alone (first measured with the rules alone at
    # 0.635; human-behaviour precision 0.53; then opened and mended: 0.642)
    "tagging-extra-ch.jsonl tagging-extra-ci.jsonl tagging-extra-cj.jsonl": (0.61, 0.50),
    # the twenty-ninth, labelled from the guide alone (first measured with the rules alone at
    # 0.711; human-behaviour and organisational precision 0.67; then opened and mended: 0.713)
    "tagging-extra-ck.jsonl tagging-extra-cl.jsonl tagging-extra-cm.jsonl": (0.68, 0.64),
    # the thirtieth, labelled from the guide alone (first measured with the rules alone at
    # 0.741; organisational precision 0.43; then opened and mended: 0.744)
    "tagging-extra-cn.jsonl tagging-extra-co.jsonl tagging-extra-cp.jsonl": (0.71, 0.40),
    # the thirty-first, labelled from the guide alone (first measured with the rules alone at
    # 0.726; human-behaviour precision 0.47; then opened, no rule changed)
    "tagging-extra-cq.jsonl tagging-extra-cr.jsonl tagging-extra-cs.jsonl": (0.69, 0.44),
    # the thirty-second, labelled from the guide alone (first measured with the rules alone at
    # 0.685; organisational precision 0.47; then opened and mended: 0.690)
    "tagging-extra-ct.jsonl tagging-extra-cu.jsonl tagging-extra-cv.jsonl": (0.65, 0.44),
    # the thirty-third, labelled from the guide alone (first measured with the rules alone at
    # 0.707; human-behaviour precision 0.42; then opened and mended: 0.708)
    "tagging-extra-cw.jsonl tagging-extra-cx.jsonl tagging-extra-cy.jsonl": (0.67, 0.39),
    # the thirty-fourth, labelled from the guide alone (first measured with the rules alone at
    # 0.736; human-behaviour precision 0.58; then opened, no rule changed)
    "tagging-extra-cz.jsonl tagging-extra-da.jsonl tagging-extra-db.jsonl": (0.70, 0.55),
    # the thirty-fifth, labelled from the guide alone (first measured with the rules alone at
    # 0.702; organisational precision 0.40; then opened and mended: 0.711)
    "tagging-extra-dc.jsonl tagging-extra-dd.jsonl tagging-extra-de.jsonl": (0.67, 0.37),
    # the thirty-sixth, labelled from the guide alone (first measured with the rules alone at
    # 0.747; human-behaviour precision 0.57; then opened and mended: 0.748)
    "tagging-extra-df.jsonl tagging-extra-dg.jsonl tagging-extra-dh.jsonl": (0.71, 0.54),
    # the thirty-seventh, labelled from the guide alone (first measured with the rules alone at
    # 0.634; organisational precision 0.32; then opened and mended: 0.635)
    "tagging-extra-di.jsonl tagging-extra-dj.jsonl tagging-extra-dk.jsonl": (0.60, 0.29),
    # the thirty-eighth, labelled from the guide alone (first measured with the rules alone at
    # 0.745; human-behaviour precision 0.61; then opened and mended: 0.747)
    "tagging-extra-dl.jsonl tagging-extra-dm.jsonl tagging-extra-dn.jsonl": (0.71, 0.58),
    # the thirty-ninth, labelled from the guide alone (first measured with the rules alone at
    # 0.755; human-behaviour precision 0.63; then opened and mended: 0.768)
    "tagging-extra-do.jsonl tagging-extra-dp.jsonl tagging-extra-dq.jsonl": (0.72, 0.59),
    # the fortieth, labelled from the guide alone (first measured with the rules alone at
    # 0.702; organisational precision 0.55; then opened and mended: 0.709)
    "tagging-extra-dr.jsonl tagging-extra-ds.jsonl tagging-extra-dt.jsonl": (0.67, 0.51),
    # the forty-first, labelled from the guide alone (first measured with the rules alone at
    # 0.690; organisational precision 0.72; then opened and mended: 0.753)
    "tagging-extra-du.jsonl tagging-extra-dv.jsonl tagging-extra-dw.jsonl": (0.66, 0.69),
    # the forty-second, labelled from the guide alone (first measured with the rules alone at
    # 0.748; human-behaviour and organisational precision 0.55; then opened and mended: 0.792)
    "tagging-extra-dx.jsonl tagging-extra-dy.jsonl tagging-extra-dz.jsonl": (0.76, 0.56),
    # the forty-third, labelled from the guide alone (first measured with the rules alone at
    # 0.673; organisational precision 0.56; then opened and mended: 0.820)
    "tagging-extra-ea.jsonl tagging-extra-eb.jsonl tagging-extra-ec.jsonl": (0.78, 0.62),
    # the forty-fourth, labelled from the guide alone (first measured with the rules alone at
    # 0.731; organisational precision 0.50, on 15 organisational items; then opened and
    # mended: 0.820)
    "tagging-extra-ed.jsonl tagging-extra-ee.jsonl tagging-extra-ef.jsonl": (0.78, 0.48),
    # the forty-fifth, labelled from the guide alone (first measured with the rules alone at
    # 0.783; human-behaviour precision 0.60; then opened and mended: 0.827)
    "tagging-extra-eg.jsonl tagging-extra-eh.jsonl tagging-extra-ei.jsonl": (0.79, 0.56),
    # the forty-sixth, labelled from the guide alone (first measured with the rules alone at
    # 0.696; organisational precision 0.63; then opened and mended: 0.796)
    "tagging-extra-ej.jsonl tagging-extra-ek.jsonl tagging-extra-el.jsonl": (0.76, 0.66),
    # the forty-seventh, labelled from the guide alone (first measured with the rules alone at
    # 0.744; organisational precision 0.60; then opened and mended: 0.799)
    "tagging-extra-em.jsonl tagging-extra-en.jsonl tagging-extra-eo.jsonl": (0.76, 0.62),
    # the forty-eighth, labelled from the guide alone (first measured with the rules alone at
    # 0.760; human-behaviour precision 0.64; then opened and mended: 0.795)
    "tagging-extra-ep.jsonl tagging-extra-eq.jsonl tagging-extra-er.jsonl": (0.76, 0.62),
    # the forty-ninth, labelled from the guide alone (first measured with the rules alone at
    # 0.775; human-behaviour precision 0.60; then opened and mended: 0.809)
    "tagging-extra-es.jsonl tagging-extra-et.jsonl tagging-extra-eu.jsonl": (0.78, 0.57),
    # the fiftieth, labelled from the guide alone (first measured with the rules alone at
    # 0.742; organisational precision 0.61; then opened and mended: 0.778)
    "tagging-extra-ev.jsonl tagging-extra-ew.jsonl tagging-extra-ex.jsonl": (0.74, 0.61),
    # the fifty-first, labelled from the guide alone (first measured with the rules alone at
    # 0.762; human-behaviour precision 0.64; then opened and mended: 0.805)
    "tagging-extra-ey.jsonl tagging-extra-ez.jsonl tagging-extra-fa.jsonl": (0.77, 0.67),
    # the fifty-second, labelled from the guide alone (first measured with the rules alone at
    # 0.736; human-behaviour precision 0.64; then opened and mended: 0.777)
    "tagging-extra-fb.jsonl tagging-extra-fc.jsonl tagging-extra-fd.jsonl": (0.74, 0.63),
    # the fifty-third, labelled from the guide alone (first measured with the rules alone at
    # 0.709; human-behaviour precision 0.55; then opened and mended: 0.739)
    "tagging-extra-fe.jsonl tagging-extra-ff.jsonl tagging-extra-fg.jsonl": (0.71, 0.60),
    # the fifty-fourth, labelled from the guide alone (first measured with the rules alone at
    # 0.664; organisational precision 0.48; then opened and mended: 0.736)
    "tagging-extra-fh.jsonl tagging-extra-fi.jsonl tagging-extra-fj.jsonl": (0.71, 0.53),
    # the fifty-fifth, labelled from the guide alone (first measured with the rules alone at
    # 0.769; human-behaviour precision 0.59; then opened and mended: 0.816)
    "tagging-extra-fk.jsonl tagging-extra-fl.jsonl tagging-extra-fm.jsonl": (0.79, 0.58),
    # the fifty-sixth, labelled from the guide alone, most of it new developments (first
    # measured with the rules alone at 0.607; technology precision 0.39; then opened and
    # mended: 0.684)
    "tagging-extra-fn.jsonl tagging-extra-fo.jsonl tagging-extra-fp.jsonl": (0.65, 0.44),
    # the fifty-seventh, labelled from the guide alone, most of it new developments (first
    # measured with the rules alone at 0.631; human-behaviour precision 0.45; then opened and
    # mended: 0.725)
    "tagging-extra-fq.jsonl tagging-extra-fr.jsonl tagging-extra-fs.jsonl": (0.70, 0.54),
    # the fifty-eighth, labelled from the guide alone, most of it new developments (first
    # measured with the rules alone at 0.643; human-behaviour precision 0.50; then opened and
    # mended: 0.691)
    "tagging-extra-ft.jsonl tagging-extra-fu.jsonl tagging-extra-fv.jsonl": (0.66, 0.51),
    # the fifty-ninth, labelled from the guide alone, most of it new developments (first
    # measured with the rules alone at 0.631; human-behaviour precision 0.43; then opened and
    # mended: 0.683)
    "tagging-extra-fw.jsonl tagging-extra-fx.jsonl tagging-extra-fy.jsonl": (0.65, 0.50),
    # the sixtieth, labelled from the guide alone, most of it new developments (first
    # measured with the rules alone at 0.779; human-behaviour precision 0.64; then opened and
    # mended: 0.802)
    "tagging-extra-fz.jsonl tagging-extra-ga.jsonl tagging-extra-gb.jsonl": (0.77, 0.69),
    # the sixty-first, labelled from the guide alone, most of it new developments, held out
    # (measured once: 0.655; organisational precision 0.64)
    "tagging-extra-gc.jsonl tagging-extra-gd.jsonl tagging-extra-ge.jsonl": (0.62, 0.60),
}


def pooled(names: list[str]) -> list[tuple[Doc, set[str]]]:
    """The labelled items of these files in tests/data, pooled."""
    return [pair for name in names for pair in read_jsonl(DATA / name, labelled=True)]


@pytest.mark.parametrize("names", sorted(FLOORS))
def test_rules_quality_floor(shipped, names):
    from horizon.default_plugins.keywords import KeywordTagger

    macro_floor, precision_floor = FLOORS[names]
    tagger = KeywordTagger()
    tagger.prepare(TaggingContext(shipped))
    result = evaluate(pooled(names.split()), TaggerSet([tagger], shipped))
    assert result.items > 200
    assert result.macro_f1 >= macro_floor, result.as_json()
    for theme, scores in result.per_theme.items():
        assert scores["precision"] >= precision_floor, (theme, scores)


def seed(project, titles):
    items = "".join(
        f"<item><title>{t}</title><guid>{i}</guid><description>{d}</description></item>"
        for i, (t, d) in enumerate(titles)
    )
    (project.root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    project.write_config([{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch())
    assert project.run("pull").exit_code == 0


ITEMS = [
    (
        "Council agrees position on chat control regulation",
        "Member states back detection orders for child sexual abuse material in messaging.",
    ),
    (
        "Europol operation takes down darknet child abuse platform",
        "Police in 19 countries arrested administrators of the site.",
    ),
    ("Dog grooming salon opens", "Our groomers pamper your pets."),
]


def test_pull_tags_items_with_evidence(project):
    seed(project, ITEMS)
    items = {i["title"]: i for i in project.json("items", "list")}
    chat = items[ITEMS[0][0]]
    assert set(chat["themes"]) >= {"legislation", "technology"}
    assert chat["auto_themes"]["legislation"] >= 0.5
    assert "csa-regulation" in chat["topics"]
    europol = items[ITEMS[1][0]]
    assert set(europol["themes"]) >= {"organisational", "technology"}
    assert "pursue" in europol["fourp"]
    dog = items[ITEMS[2][0]]
    assert dog["themes"] == [] and dog["fourp"] == []
    only_legi = project.json("items", "list", "--theme", "legislation")
    assert [i["title"] for i in only_legi] == [ITEMS[0][0]]
    assert project.run("items", "list", "--theme", "nope").exit_code == 2
    shown = project.run("items", "show", str(chat["id"])).stdout
    assert "legislation" in shown and "csa-regulation" in shown and "[title]" in shown


@pytest.mark.parametrize(
    ("text", "judged"),
    [
        ("Sales rose. Related: Chat control vote delayed Continue reading...", "Sales rose."),
        (
            "Utenti a quota 20 milioni... Articoli correlati Bavaglio al web",
            "Utenti a quota 20 milioni...",
        ),
        ("Le poster. À lire aussi : Chatkontrolle, le vote", "Le poster."),
        ("New board. The post New board appeared first on ECPAT.", "New board."),
        ("Die Journalisten gingen bei … Weiterlesen →", "Die Journalisten gingen bei …"),
        ("The cause is unknown. Continue reading...", "The cause is unknown."),
        ("Text. Read more Related: Other story", "Text."),  # a closing link before the list
        ("A. Related: B. The post C appeared first on D.", "A."),  # the earliest tail wins
        # the item's own words stay: a lower-case "related:", "read more" inside a sentence
        ("Two cases related: both in Spain", "Two cases related: both in Spain"),
        ("Read more in our enforcement bulletin", "Read more in our enforcement bulletin"),
    ],
)
def test_tails_feeds_append_are_not_judged(text, judged):
    from horizon.tagging import without_tails

    assert without_tails(text) == judged


@pytest.mark.timeout(60)  # linear: milliseconds; the quadratic first version took hours here
def test_tails_search_is_linear_in_hostile_text():
    from horizon.tagging import without_tails

    text = "word" + " " * 1_000_000 + "Read more" + "\t" * 1_000_000 + "end"
    assert without_tails(text) == text
    assert without_tails(text + " Read more") == text


def test_another_articles_headline_in_a_tail_does_not_tag_the_item(project):
    headline = (
        "EU ministers back the chat control regulation and its detection orders for child "
        "sexual abuse material"
    )
    seed(
        project,
        [
            ("Smartphone sales grow again", f"Sales rose this quarter. Related: {headline} "),
            ("Smartphone sales grow, and more", f"Sales rose this quarter. {headline}."),
        ],
    )
    items = {i["title"]: i for i in project.json("items", "list")}
    assert items["Smartphone sales grow again"]["themes"] == []

    def rules_give(title):  # the rules' own verdict (the seed model reads the sales title too)
        return (
            project.db()
            .execute(
                "SELECT group_concat(a.value) FROM auto_tags a JOIN items i ON i.id = a.item_id "
                "WHERE i.title = ? AND a.tagger = 'keywords' AND a.kind = 'theme' AND a.assigned",
                [title],
            )
            .fetchone()[0]
        )

    assert rules_give("Smartphone sales grow again") is None
    assert "legislation" in rules_give("Smartphone sales grow, and more")  # the same words
    stored = project.db().execute(
        "SELECT text FROM items WHERE title = ?", ["Smartphone sales grow again"]
    )
    assert headline in stored.fetchone()[0]  # only the tagging leaves the tail out


def test_retag_is_idempotent_and_keeps_analyst_decisions(project):
    seed(project, ITEMS)
    db = project.db()
    before = list(
        db.query("SELECT item_id, tagger, kind, value, score FROM auto_tags ORDER BY 1, 2, 3, 4")
    )
    dog_id = db.execute("SELECT id FROM items WHERE title LIKE 'Dog%'").fetchone()[0]
    db.execute(
        "INSERT INTO reviews (item_id, status, themes, analyst, decided_at) "
        "VALUES (?, 'signal', '[\"human-behaviour\"]', 'alice', '2026-11-01T00:00:00Z')",
        [dog_id],
    )
    db.conn.commit()
    assert project.run("retag").exit_code == 0
    assert project.run("retag").exit_code == 0
    after = list(
        project.db().query(
            "SELECT item_id, tagger, kind, value, score FROM auto_tags ORDER BY 1, 2, 3, 4"
        )
    )
    assert after == before
    dog = next(i for i in project.json("items", "list") if i["id"] == dog_id)
    assert dog["themes"] == ["human-behaviour"]
    tags = project.json("items", "show", str(dog_id))["tags"]
    assert tags == [
        {"kind": "theme", "value": "human-behaviour", "origin": "analyst:alice", "score": None}
    ]


def test_classify_takes_lone_surrogates_and_control_characters(project, tmp_path):
    # Valid JSON, odd text: "\ud800" escapes decode to lone surrogates, which UTF-32 refuses.
    project.write_config([])
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"id": 1, "title": "chat control \\ud800 vote", "summary": "x \\udfff\\u0000 y"}\n'
    )
    result = project.run("tagger", "classify", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == 1


def test_classify_and_evaluate_files(project, tmp_path):
    project.write_config([])
    lines = [
        {
            "id": "a",
            "title": "Vorratsdatenspeicherung: EuGH kippt deutsches Gesetz",
            # (title alone, the seed model's 0.13 for legislation vetoes the rules' 4 points)
            "summary": "Die anlasslose Speicherung von Verbindungsdaten verstößt gegen EU-Recht.",
        },
        {"id": 7, "title": "Hash browns recipe", "summary": "Crispy."},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = project.run("tagger", "classify", str(path))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["id"] == "a" and out[0]["themes"] == ["legislation"]
    assert set(out[0]["scores"]) == {
        "technology",
        "human-behaviour",
        "legislation",
        "organisational",
    }
    assert out[0]["evidence"]["legislation"]["keywords"]["evidence"]["matches"]
    assert out[1] == {**out[1], "id": 7, "themes": [], "topics": []}
    # the fresh set: the seed model learned from the others, so it makes no errors there
    fresh = str(DATA / "tagging-fresh.jsonl")
    evaluated = project.run("tagger", "evaluate", fresh, "--json")
    data = json.loads(evaluated.stdout)
    assert data["items"] == 200 and 0.8 < data["macro_f1"] < 1
    assert set(data["themes"]["technology"]) >= {"precision", "recall", "f1"}
    table = project.run("tagger", "evaluate", fresh, "--errors")
    assert table.exit_code == 0
    # the table prints three places of the figure the JSON gives to four
    printed = re.search(r"macro-F1 (\d\.\d{3}) over 200 item\(s\)", table.stdout)
    assert printed and abs(float(printed[1]) - data["macro_f1"]) < 0.00051
    assert "predicted" in table.stdout  # the errors table
    with_errors = project.run("tagger", "evaluate", fresh, "--errors", "--json")
    assert json.loads(with_errors.stdout)["errors"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "line 1: not valid JSON"),
        ('{"title": "x"}\n', "'id' is missing"),
        ('{"id": 1, "title": "x", "themes": ["tech"]}\n', "unknown theme(s) tech"),
        ('{"id": 1, "title": "x"}\n', "'themes' (the gold themes, a list) is missing"),
        ('{"id": 1, "themes": "legislation"}\n', "'themes' (the gold themes, a list) must be"),
        ("", "no labelled items"),  # was macro-F1 0.000 over 0 item(s), exit 0
        ("\n  \n", "no labelled items"),
    ],
)
def test_bad_jsonl_is_a_clear_error(project, tmp_path, content, message):
    project.write_config([])
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    result = project.run("tagger", "evaluate", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and "bad.jsonl" in result.stderr


def test_jsonl_is_read_by_line_ends_with_a_bound_on_each_line(project, tmp_path, monkeypatch):
    """A JSON string may hold U+2028 (a line end to str.splitlines, not to JSON Lines); a file
    with no line ends, or no end at all (/dev/zero), is refused, not read into memory."""
    from horizon import tagging

    project.write_config([])
    path = tmp_path / "items.jsonl"
    title = "Data retention\u2028law\x85passed"
    path.write_text(json.dumps({"id": 1, "title": title}, ensure_ascii=False) + "\n")
    result = project.run("tagger", "classify", str(path))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1]
    monkeypatch.setattr(tagging, "JSONL_LINE_MAX", 100)
    path.write_text(json.dumps({"id": 1, "title": "x" * 50}) + "\n" + "y" * 101)
    refused = project.run("tagger", "classify", str(path))
    assert refused.exit_code == 2
    assert refused.stderr == "Error: items.jsonl, line 2: over 100 characters long\n"
    endless = project.run("tagger", "evaluate", "/dev/zero")
    assert endless.exit_code == 2 and "line 1: over 100 characters long" in endless.stderr


def test_train_model_and_use_it(project):
    seed(project, ITEMS)
    few = project.run("tagger", "train")
    assert few.exit_code == 2 and "only 0 decided item(s)" in few.stderr
    assert project.run("tagger", "train", "--min", "0").exit_code == 2  # trained on nothing
    assert "No model trained yet" in project.run("tagger", "status").stdout
    trained = project.run("tagger", "train", "--from", str(DATA / "tagging-dev.jsonl"), "--json")
    assert trained.exit_code == 0, trained.output
    metrics = json.loads(trained.stdout)
    assert metrics["examples"] == 409
    assert metrics["rules"]["macro_f1"] > 0.8 and metrics["model"]["macro_f1"] > 0.4
    blob = project.db().execute("SELECT data FROM tag_models").fetchone()[0]
    stored = json.loads(zlib.decompress(blob))  # JSON, not pickle
    assert set(stored["coef"]) == {"technology", "human-behaviour", "legislation", "organisational"}
    status = json.loads(project.run("tagger", "status", "--json").stdout)
    assert {t["name"] for t in status["taggers"]} == {"source", "model", "seed", "keywords"}
    shown = project.run("tagger", "status").stdout
    assert "model 1 (active)" in shown and "keywords (primary)" in shown
    assert project.run("retag").exit_code == 0
    item = project.json("items", "show", "1")
    model_rows = [e for e in item["evidence"] if e["tagger"] == "model"]
    assert model_rows and all("probability" in e["evidence"] for e in model_rows)
    assert {e["value"] for e in model_rows} >= set(item["themes"])  # each theme's model say
    assert all(e["evidence"]["examples"] == 409 for e in model_rows)  # its weight beside the seed
    again = project.run("tagger", "train", "--from", str(DATA / "tagging-dev.jsonl")).stdout
    assert "averaged with the seed model by the examples each learned from: 409 against" in again


LENS_ITEMS = [
    (
        "Europol operation takes down darknet child abuse platform",
        "Police in 19 countries arrested administrators; a new taskforce of investigators "
        "will follow up.",
    ),
    ("Man arrested after bakery fire", "Firefighters were called to the shop."),
]


def _fourp_tags(db, item_id):
    return list(
        db.query(
            "SELECT value, origin FROM item_tags WHERE item_id = ? AND kind = 'fourp' "
            "ORDER BY value",
            [item_id],
        )
    )


def test_no_theme_no_4p_follows_the_analysts_themes(project):
    from horizon import review

    seed(project, LENS_ITEMS)
    db = project.db()
    ids = {
        title: db.execute("SELECT id FROM items WHERE title = ?", [title]).fetchone()[0]
        for title, _ in LENS_ITEMS
    }
    europol, bakery = ids[LENS_ITEMS[0][0]], ids[LENS_ITEMS[1][0]]
    shown = project.json("items", "show", str(europol))
    assert "organisational" in shown["themes"] and {"prepare", "pursue"} <= set(shown["fourp"])
    # An analyst deciding "no theme" takes the automatic 4P away with it ...
    review.decide(db, europol, "alice", review.Change(themes=[]), "themes")
    assert project.json("items", "show", str(europol))["fourp"] == []
    assert _fourp_tags(db, europol) == []
    # ... and giving a theme back brings the automatic 4P back.
    review.decide(db, europol, "alice", review.Change(themes=["organisational"]), "themes")
    assert {"prepare", "pursue"} <= {t["value"] for t in _fourp_tags(db, europol)}

    # A 4P hit on an item with no automatic theme is kept, and counts once an analyst gives
    # the item a theme.
    assert project.json("items", "show", str(bakery))["fourp"] == []
    stored = db.execute(
        "SELECT assigned FROM auto_tags WHERE item_id = ? AND tagger = 'combined' AND "
        "kind = 'fourp' AND value = 'pursue'",
        [bakery],
    ).fetchone()
    assert stored == (1,)
    result = project.run("tag", str(bakery), "--theme", "human-behaviour", "--analyst", "bob")
    assert result.exit_code == 0, result.output
    assert project.json("items", "show", str(bakery))["fourp"] == ["pursue"]
    assert _fourp_tags(project.db(), bakery) == [{"value": "pursue", "origin": "auto"}]
    # Re-tagging keeps it so (the rule is applied to the effective themes, after storage).
    assert project.run("retag").exit_code == 0
    assert project.json("items", "show", str(bakery))["fourp"] == ["pursue"]
    assert project.json("items", "show", str(europol))["fourp"] != []


def test_classify_shows_no_4p_without_a_theme(project, tmp_path):
    project.write_config([])
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": i, "title": title, "summary": text})
            for i, (title, text) in enumerate(LENS_ITEMS)
        )
        + "\n"
    )
    result = project.run("tagger", "classify", str(path))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert "organisational" in out[0]["themes"] and "pursue" in out[0]["fourp"]
    assert out[1]["themes"] == [] and out[1]["fourp"] == []


def test_keywords_store_no_silent_theme_rows(project):
    seed(project, ITEMS)
    db = project.db()
    rows = list(
        db.query("SELECT kind, value, score, evidence FROM auto_tags WHERE tagger = 'keywords'")
    )
    assert rows
    for row in rows:
        evidence = json.loads(row["evidence"]) if row["evidence"] else None
        assert row["score"] > 0 or (evidence and (evidence["matches"] or evidence.get("excluded")))
    # Themes of a matched item that nothing pointed to have no keywords row at all.
    chat = db.execute("SELECT id FROM items WHERE title LIKE 'Council%'").fetchone()[0]
    themes = {
        r[0]
        for r in db.execute(
            "SELECT value FROM auto_tags WHERE item_id = ? AND tagger = 'keywords' "
            "AND kind = 'theme'",
            [chat],
        ).fetchall()
    }
    assert themes and themes < {"technology", "human-behaviour", "legislation", "organisational"}


# Sextortion of teenagers with intimate photos, in Polish: words the rules know, and a language
# an analysts' model trained on the dev set (English, German, French) never learned from.
POLISH = (
    "Policja: coraz więcej nastolatków pada ofiarą szantażu intymnymi zdjęciami",
    "Sprawcy podszywają się pod rówieśników, a po otrzymaniu intymnego zdjęcia żądają "
    "pieniędzy, grożąc jego rozesłaniem.",
)


def rules_and(taxonomy, model):
    """The `keywords` tagger and this model tagger, prepared, as `pull` runs them."""
    from horizon.default_plugins.keywords import KeywordTagger

    taggers = [KeywordTagger(), model]
    assert all(t.prepare(TaggingContext(taxonomy)) for t in taggers)
    return TaggerSet(taggers, taxonomy)


def rules_and_seed(taxonomy):
    """The `keywords` tagger and the shipped seed model, prepared, as `pull` runs them."""
    from horizon.default_plugins.model import SeedTagger

    return rules_and(taxonomy, SeedTagger())


def test_weights_make_examples_count_for_more_in_a_model():
    """`learn.fit`'s weights: all ones is no weighting; the examples of one theme weighing ten
    times as much raise its probability on an item of that theme."""
    examples = read_jsonl(DATA / "tagging-dev.jsonl", labelled=True)
    plain = learn.fit(examples)
    ones = learn.fit(examples, [1.0] * len(examples))
    for theme, coef in plain.coef.items():
        assert coef == pytest.approx(ones.coef[theme])
    heavier = learn.fit(examples, [10.0 if "legislation" in t else 1.0 for _, t in examples])
    item = [Doc(id=1, title="Parliament votes on the data retention law", text="")]
    p_plain = plain.probabilities(plain.features(item))["legislation"][0]
    p_heavier = heavier.probabilities(heavier.features(item))["legislation"][0]
    assert p_heavier > p_plain


def test_a_model_does_not_veto_what_it_cannot_read(shipped):
    """An item in a language a model never learned from (an analysts' model trained on the
    dev set meets a Polish item on sextortion of teenagers with intimate photos): the rules
    give human-behaviour, and the model, which knows almost none of its words, does not take
    it away; in English it has its say. (The shipped seed model learned Polish with the
    rounds in the EU's smaller languages, so it no longer serves as the example.)"""
    from horizon.default_plugins.model import ModelTagger

    model = ModelTagger(learn.fit(read_jsonl(DATA / "tagging-dev.jsonl", labelled=True)))
    both = rules_and(shipped, model)
    polish = Doc(id=1, title=POLISH[0], text=POLISH[1])
    verdict = both.run([polish])[0]
    model_says = next(t for t in verdict.by_tagger["model"] if t.value == "human-behaviour")
    assert model_says.reads < KNOWN_NONE
    assert model_says.evidence["known_words"] == model_says.reads
    assert model_says.confidence < 0.5  # the model alone would not give it ...
    assert "human-behaviour" in verdict.assigned("theme")  # ... and does not veto the rules'
    english = Doc(id=2, title="Police warn of sextortion of teens with intimate photos", text="")
    said = both.run([english])[0].by_tagger["model"]
    assert min(t.reads for t in said) > KNOWN_FULL


def test_items_show_says_when_a_model_cannot_read_an_item(project):
    project.write_config([])
    dev = str(DATA / "tagging-dev.jsonl")
    assert project.run("tagger", "train", "--from", dev).exit_code == 0
    seed(project, [POLISH])
    shown = project.run("items", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "of the item's words: 0% of its say" in shown.stdout
    assert "human-behaviour" in project.json("items", "show", "1")["themes"]


JOB_ADVERT = (
    "Vacancy: online child sexual exploitation analyst (encryption and dark web)",
    "We are hiring an analyst to review child sexual abuse material reports, grooming and "
    "sextortion cases on encrypted messaging apps and Tor hidden services. Applicants must "
    "hold security clearance.",
)


def test_a_veto_is_final_whatever_the_models_say(project, shipped):
    """A job advert is no development of any theme (the taxonomy's `vetoes`), even when its
    words are the themes' own and the seed model is sure of them; `items show` says why."""
    doc = Doc(id=1, title=JOB_ADVERT[0], text=JOB_ADVERT[1])
    verdict = rules_and_seed(shipped).run([doc])
    # the seed model alone would add a theme: its probability reaches the theme's `agree` /
    # `model_weight`
    seed_says = verdict[0].by_tagger["seed"]
    assert any(
        t.confidence >= shipped.agree_for(t.kind, t.value) / shipped.model_weight for t in seed_says
    )
    assert verdict[0].assigned("theme") == []
    rules = {t.value: t for t in verdict[0].by_tagger["keywords"] if t.kind == "theme"}
    assert all(t.final and t.evidence["vetoed"] for t in rules.values())
    # Without the veto, the same words would be tagged.
    assert rules_and_seed(load_taxonomy({"vetoes": []})).run([doc])[0].assigned("theme")

    seed(project, [JOB_ADVERT])
    assert project.json("items", "show", "1")["themes"] == []
    shown = project.run("items", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "no theme at all: vetoed by" in shown.stdout and "vacancy" in shown.stdout


def test_vetoes_must_name_sets(tmp_path):
    from horizon.errors import ConfigError

    with pytest.raises(ConfigError, match="vetoes: unknown set '@job_adverts'"):
        load_taxonomy({"vetoes": ["job_adverts"]})


def test_a_plain_no_stores_no_evidence(project):
    seed(project, ITEMS)  # with the seed model, which has a probability for every theme
    db = project.db()
    kept = db.execute(
        "SELECT count(*) FROM auto_tags a WHERE a.kind = 'theme' AND NOT a.assigned AND "
        "coalesce((SELECT c.score FROM auto_tags c WHERE c.item_id = a.item_id AND "
        "c.tagger = 'combined' AND c.kind = 'theme' AND c.value = a.value), 0) < 0.05"
    ).fetchone()[0]
    assert kept == 0  # no row for a theme nobody gave and the combination put under the floor
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    seeded = db.execute("SELECT count(*) FROM auto_tags WHERE tagger = 'seed'").fetchone()[0]
    assert 0 < seeded < 4 * items  # the seed speaks of every theme, but only some are kept
    given = db.execute(
        "SELECT count(*) FROM auto_tags WHERE tagger = 'combined' AND assigned = 1"
    ).fetchone()[0]
    assert given  # what was given keeps its evidence


def test_combine_weighs_rules_and_models():
    from horizon.tagging import AGREE, MODEL_ALONE, MODEL_WEIGHT, AutoTag, TaggerSet

    class Named:
        def __init__(self, name, role):
            self.name, self.role = name, role

    combiner = TaggerSet([Named("keywords", "primary"), Named("seed", "supporting")], None)

    def given(rules, p, theme="technology"):
        tags = {"seed": [AutoTag("theme", theme, p, p)]}
        if rules is not None:
            tags["keywords"] = [AutoTag("theme", theme, rules, rules)]
        return combiner.combine(tags)[("theme", theme)] >= 0.5

    shipped = load_taxonomy()
    assert (AGREE, MODEL_WEIGHT) == (0.35, 0.7) == (shipped.agree, shipped.model_weight)
    combiner.taxonomy = shipped
    # A model alone adds a theme the rules have no term for when it says yes by itself; a rule
    # term for it, even below the rules' threshold, lets the mean decide.
    assert MODEL_ALONE == shipped.model_alone == 0.5
    assert given(None, 0.5) and not given(None, 0.49)
    assert given(0.2, 0.45) and not given(None, 0.45)
    # At the shipped `agree` the mean asks that much already; `model_alone` keeps a lower
    # `agree` from adding themes on a model's word alone below it.
    combiner.taxonomy = load_taxonomy({"agree": 0.3})
    assert given(None, 0.5) and not given(None, 0.49)
    combiner.taxonomy = load_taxonomy({"agree": 0.3, "model_alone": 0})
    assert given(None, 0.43) and not given(None, 0.42)
    combiner.taxonomy = shipped
    assert given(0.5, 0.29) and not given(0.5, 0.28)  # and vetoes a bare rule hit when sure no
    assert given(1.0, 0.08) and not given(1.0, 0.07)  # a hit at twice the threshold, when surer
    assert given(0.8, 0.16) and not given(0.8, 0.15)
    # A theme may ask for more agreement than the taxonomy's: human-behaviour, 0.4.
    assert shipped.agree_for("theme", "human-behaviour") == 0.4
    assert shipped.agree_for("theme", "technology") == shipped.agree == 0.35
    behaviour = "human-behaviour"
    assert given(None, 0.58, behaviour) and not given(None, 0.57, behaviour)  # 0.4 / 0.7
    assert given(1.0, 0.15, behaviour) and not given(1.0, 0.14, behaviour)  # a model sure no
    # Without a supporting opinion, the rules decide alone.
    only_rules = combiner.combine({"keywords": [AutoTag("theme", "legislation", 3, 0.5)]})
    assert only_rules[("theme", "legislation")] == 0.5
    # A deployment that wants fewer, surer tags raises `agree` in its taxonomy override; one
    # that trusts its rules more lowers `model_weight` (at 0.5, the plain mean).
    combiner.taxonomy = load_taxonomy({"agree": 0.5})
    assert given(None, 0.72) and not given(None, 0.7)
    combiner.taxonomy = load_taxonomy({"model_weight": 0.5, "agree": 0.3})
    assert given(None, 0.65) and not given(None, 0.55)
    assert given(0.5, 0.15) and not given(0.5, 0.05)
    assert given(0.6, 0.0)  # at the plain mean a rule hit at 1.2 times the threshold stays

    # A model that knows few of the item's words (a language it never learned from) has less
    # say: below KNOWN_NONE none, and the rules decide as they would alone.
    from horizon.tagging import KNOWN_FULL, KNOWN_NONE, reading_share

    combiner.taxonomy = shipped

    def read(rules, p, known):
        tags = {"seed": [AutoTag("theme", "technology", p, p, reads=known)]}
        tags["keywords"] = [AutoTag("theme", "technology", rules, rules)]
        return combiner.combine(tags)[("theme", "technology")]

    assert reading_share(KNOWN_FULL) == 1.0 and reading_share(KNOWN_NONE) == 0.0
    assert read(1.0, 0.02, KNOWN_NONE / 2) == 1.0 and read(0.5, 0.02, KNOWN_NONE) == 0.5
    assert read(0.45, 0.99, KNOWN_NONE / 2) == 0.45  # nor does it add what the rules did not give
    assert read(0.8, 0.02, KNOWN_NONE / 2) == 0.8
    assert read(0.8, 0.02, KNOWN_FULL) == read(0.8, 0.02, 0.99) < 0.5  # full say: it vetoes
    halfway = read(0.5, 0.02, (KNOWN_NONE + KNOWN_FULL) / 2)
    assert read(0.5, 0.02, KNOWN_FULL) < halfway < 0.5

    # Two models count by the examples they learned from: a small one barely moves a large one.
    combiner = TaggerSet(
        [Named("keywords", "primary"), Named("seed", "supporting"), Named("model", "supporting")],
        shipped,
    )
    large = AutoTag("theme", "technology", 0.9, 0.9, weight=2000)
    small = AutoTag("theme", "technology", 0.1, 0.1, weight=100)
    both = combiner.combine({"seed": [large], "model": [small]})[("theme", "technology")]
    p = (0.9 * 2000 + 0.1 * 100) / 2100  # no rule for it: capped at 0.5 * p / `model_alone`
    assert both == pytest.approx(min(1.0, 0.7 * p * 0.5 / 0.35, 0.5 * p / 0.5))
    small.weight = large.weight  # as many examples each: the plain mean of the two, 0.5
    even = combiner.combine({"seed": [large], "model": [small]})[("theme", "technology")]
    assert even == pytest.approx(min(0.7 * 0.5 * 0.5 / 0.35, 0.5)) == 0.5


def test_seed_model_tags_a_new_store_and_can_be_left_out(project, tmp_path):
    project.write_config([])
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"id": 1, "title": LENS_ITEMS[0][0], "summary": LENS_ITEMS[0][1]}) + "\n"
    )
    status = json.loads(project.run("tagger", "status", "--json").stdout)
    assert "seed" in {t["name"] for t in status["taggers"]} and status["models"] == []
    out = json.loads(project.run("tagger", "classify", str(path)).stdout)
    seeded = out["evidence"]["organisational"]["seed"]["evidence"]
    assert seeded["model"] == "seed" and 0.5 < seeded["probability"] <= 1
    assert seeded["examples"] == learn.seed_info()["examples"] > 2000  # its weight
    assert "europol" in seeded["because"]
    rules = json.loads(project.run("tagger", "classify", "-t", "keywords", str(path)).stdout)
    assert {name for by in rules["evidence"].values() for name in by} == {"keywords"}
    unknown = project.run("tagger", "evaluate", "-t", "nope", str(DATA / "tagging-fresh.jsonl"))
    assert unknown.exit_code == 2 and "no tagger named nope" in unknown.stderr
    idle = project.run("tagger", "classify", "-t", "model", str(path))
    assert idle.exit_code == 2 and "model is not ready" in idle.stderr


def test_seed_model_is_loaded_only_when_there_is_something_to_tag(project, monkeypatch):
    from horizon.default_plugins import model

    seed(project, ITEMS)  # a first pull: the seed model tags the new items
    item = project.json("items", "show", "1")
    assert any(e["tagger"] == "seed" for e in item["evidence"])

    def refuse():
        raise AssertionError("the seed model was loaded for a pull with nothing new")

    monkeypatch.setattr(model, "load_seed", refuse)
    again = project.run("pull")
    assert again.exit_code == 0, again.output
    # ... and it is what a pull with new items would load.
    tagger = model.SeedTagger()
    assert tagger.prepare(TaggingContext(load_taxonomy()))
    with pytest.raises(AssertionError, match="nothing new"):
        tagger.tag([Doc(1, "a title", "")])


def test_tagging_with_a_model_imports_neither_scipy_nor_scikit_learn():
    """Their imports would cost every new `horizon pull` process about 0.1 to 0.3 s (scipy) and
    more (scikit-learn); the seed model tags with numpy alone, explanations included, and the
    command line imports neither when it starts."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from horizon.cli import COMMANDS, commands_of\n"
        "for module in set(COMMANDS.values()):\n"  # every command's module and its imports
        "    commands_of(module)\n"
        "from horizon.default_plugins.model import SeedTagger\n"
        "from horizon.tagging import Doc, TaggingContext\n"
        "from horizon.taxonomy import load_taxonomy\n"
        "tagger = SeedTagger()\n"
        "assert tagger.prepare(TaggingContext(load_taxonomy()))\n"
        "docs = [Doc(1, 'Europol and Eurojust take down a child abuse forum',"
        " 'Police in nine countries.')]\n"
        "tags = {t.value: t for t in tagger.tag(docs * 2500)[0]}\n"  # two feature batches
        "assert tags['organisational'].confidence > 0.5, tags\n"
        "assert 'europol' in tags['organisational'].evidence['because']\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_seed_model_is_built_from_the_current_labelled_sets():
    """src/horizon/data/seed-model.* is rebuilt by python docs/build_seed_model.py."""
    import subprocess
    import sys

    script = Path(__file__).parent.parent / "docs" / "build_seed_model.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_seed_model_weighs_the_earlier_writers_sets_less(monkeypatch):
    """The seed model's examples from the sets labelled with the earlier writers' rules weigh a
    quarter of the guide-alone ones, scaled to a mean of 1; seed-model.json records it."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent / "benchmarks"))
    import _corpus

    earlier, later = "extra-br", "extra-bs"  # the last set before the line and the first after
    assert earlier in _corpus.EARLIER and later not in _corpus.EARLIER
    items, weights = _corpus.labelled_weighted([earlier, later])
    counts = [len(_corpus.labelled([name])) for name in (earlier, later)]
    assert len(items) == len(weights) == sum(counts)
    assert sum(weights) == pytest.approx(len(weights))
    assert weights[0] == pytest.approx(weights[-1] * _corpus.EARLIER_WEIGHT)
    info = json.loads(
        (Path(__file__).parent.parent / "src/horizon/data/seed-model.json").read_text()
    )
    assert info["settings"]["earlier_weight"] == _corpus.EARLIER_WEIGHT < 1


def test_few_false_themes_on_random_real_items(shipped):
    """400 items drawn at random from the corpus's real feeds and labelled blind
    (TAGGING-REAL-RANDOM.md): 396 have no theme (a library's events, podcasts, technology
    news). The tagger as `pull` runs it gives none there (one, a podcast's notes on unlocking
    iPhones, at `agree` 0.4); a regression that tags ordinary items would show here first."""
    examples = read_jsonl(DATA / "tagging-real-random.jsonl", labelled=True)
    verdicts = rules_and_seed(shipped).run([doc for doc, _ in examples])
    false = [
        (doc.id, theme)
        for (doc, gold), verdict in zip(examples, verdicts, strict=True)
        for theme in set(verdict.assigned("theme")) - gold
    ]
    assert len(examples) == 400 and len(false) <= 3, false


# The fresh set was written after the rules and the seed model, and is in neither (see
# tests/data/TAGGING-FRESH.md): a floor under its figure with the rules and the seed model.
def test_quality_floor_on_unseen_items_with_the_seed_model(project):
    project.write_config([])
    result = project.run("tagger", "evaluate", str(DATA / "tagging-fresh.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    # the issue's bar: macro-F1 0.85 with precision 0.80 on every theme (0.865, 0.92 or more)
    assert scores["macro_f1"] >= 0.86
    assert min(theme["precision"] for theme in scores["themes"].values()) >= 0.80


# Floors with the rules and the seed model on later rounds, pooled (tests/data/TAGGING-EXTRA-*.md):
SEED_FLOORS = {
    # held out of the rules and the seed model until measured once as shipped (0.767, 0.767);
    # in both now
    "o p q": (362, 0.75),
    "u v w": (363, 0.75),
    # From here on each round was measured once as shipped, then read for the rules, and held
    # out of the seed model until the tenth session of 2026-11-30, when the model learned from
    # all of them (with them, it raised the next unseen round by 0.06 to 0.08).
    # measured once as shipped (0.822)
    "x y z": (444, 0.80),
    # measured once as shipped (0.782, 0.746)
    "aa ab ac": (402, 0.76),
    "ad ae af": (438, 0.73),
    # measured once as shipped (0.776), then read for the rules (0.784)
    "ag ah ai": (441, 0.75),
    # measured once as shipped (0.809), then read for the rules (0.823)
    "aj ak al": (395, 0.79),
    # measured once as shipped (0.661; set AO, in central and eastern European and Nordic
    # languages, 0.251), then read for the rules, with the models' say by the words they know
    # (0.766)
    "am an ao": (480, 0.73),
    # measured once as shipped (0.361; 90% in the EU's smaller and eastern languages and the
    # Nordic ones), then read for the rules (0.897)
    "ap aq ar": (407, 0.86),
    # measured once as shipped, 0.717 (set AS, the sources' English output, 0.843; AT, the
    # larger western languages, 0.581; AU, the smaller languages, 0.561), then read for the
    # rules (0.848)
    "as at au": (402, 0.81),
    # measured once as shipped, 0.736 (set AV, the sources' English output of 2012 to 2021,
    # 0.732; AW, the larger western languages, 0.770; AX, the smaller languages of 2012 to
    # 2022, 0.609), then read for the rules (0.802)
    "av aw ax": (375, 0.77),
    # measured once as shipped, 0.670 (set AY, a week of English feeds, 0.803; AZ, the smaller
    # languages' courts and bills, 0.502; BA, the larger western languages' regional sources,
    # 0.656), then read for the rules and learned by the seed model (0.981)
    "ay az ba": (446, 0.95),
    # held out of the rules and the seed model: measured once at `agree` 0.4, 0.781 (set BB, a
    # fortnight of English feeds, 0.805; BC, German and French national sources, 0.790; BD,
    # research output, 0.755; the session's start tagger 0.756), and at 0.45 0.790; then read for
    # the rules and learned by the seed model (0.984)
    "bb bc bd": (375, 0.95),
    # held out too: measured once at `agree` 0.4, 0.846 (set BG, English outlets, 0.853; BH,
    # German and French outlets, 0.860; BI, the EU's other languages, 0.826; the session's start
    # tagger 0.801), and at 0.45 0.828; 0.833 once the seed model had learned the eighteenth
    # round. Most of its themed items re-report developments in the earlier sets. Then opened
    # and learned by the seed model (0.983)
    "bg bh bi": (480, 0.95),
    # held out too: measured once as shipped, 0.849 with precision 0.88 to 0.96 (set BJ, English
    # outlets little used before, 0.873; BK, German, French and Dutch, 0.804; BL, Spanish,
    # Italian, Portuguese, Polish and Nordic, 0.852); the session's start tagger 0.763. Nearly
    # all its themed items re-report developments in the earlier sets. 0.860 once the seed model
    # had learned the nineteenth round (which reports some of the same developments); 0.866 with
    # the unweighted models at `agree` 0.3 (eleventh session of 2026-11-30). Then opened and
    # learned by the seed model (0.994)
    "bj bk bl": (480, 0.95),
    # held out too: close near misses in English (BM) and in Europe's larger languages (BN),
    # and the shapes feeds take (BO); all but two of its themed items re-report. Measured once
    # with the session's start tagger, 0.873 (organisational precision 0.68), then with the
    # unweighted models at `agree` 0.3, 0.890, and as shipped, with the twentieth round in the
    # seed model, 0.894 (BM 0.892, BN 0.887, BO 0.901; organisational precision 0.77). Then
    # read for the rules and learned by the seed model (0.971)
    "bm bn bo": (480, 0.94),
    # held out too: the organisational line, bodies acting together or alone (BP), untidy
    # feeds in the EU's other languages and Latin America (BQ), English-language outlets far
    # from the usual sources (BR); all but six of its themed items re-report. Measured with the
    # session's start tagger, 0.852, with the unweighted models 0.868, and as shipped, with the
    # twenty-first round in the rules and the seed model, 0.875 with precision 0.83 to 0.95
    # (BP 0.894, BQ 0.900, BR 0.826). Then read for the rules and learned by the seed model
    # (0.991)
    "bp bq br": (480, 0.95),
    # held out too, labelled by writers who had the guide alone, not the earlier writers' rules:
    # a week of the sources in English (BS), in German, French and Dutch (BT), and hotlines,
    # NGOs, alliances and cooperation (BU). Measured with the session's start tagger, 0.881;
    # with the unweighted models and the twenty-first round in the seed model, 0.880; as
    # shipped, with the twenty-second round in the rules and the seed model, 0.873
    # (human-behaviour precision 0.75, organisational recall 0.75; BS 0.891, BT 0.935, BU 0.749).
    # Then opened and learned by the seed model (0.997)
    "bs bt bu": (480, 0.95),
    # held out too, labelled from the guide alone: behaviour and what only looks like it, in
    # English (BV), a week of the sources in the EU's other languages (BW), law and technology
    # policy in English, German and French (BX). Measured with the session's start tagger,
    # 0.824; with the twenty-second round's mends and seed model, 0.845; with the twenty-third
    # round in the seed model, 0.848; as shipped, with human-behaviour's own `agree` of 0.4,
    # 0.853 (human-behaviour precision 0.72, organisational 0.75 on 21 items). Then opened and
    # learned by the seed model (0.984)
    "bv bw bx": (480, 0.95),
    # held out too, labelled from the guide alone: another week of the sources in English (BY),
    # and in German, French and Dutch (BZ); technology and cooperation in English and the EU's
    # other languages (CA). Measured with the session's start tagger, 0.831; as shipped, with
    # the twenty-fourth round in the seed model, 0.864 with precision 0.79 (human-behaviour) to
    # 0.97 (BY 0.854, BZ 0.847, CA 0.862). Then opened, mended (0.876) and learned by the seed
    # model (0.997)
    "by bz ca": (480, 0.95),
    # held out too, labelled from the guide alone: how people behave online, in English (CB);
    # cooperation and capacity in English, German, French and Spanish (CC); laws, courts and
    # parliaments across Europe and beyond (CD). Measured with the session's start tagger,
    # 0.873; with the twenty-fifth round's mends and seed model and human-behaviour's `agree`
    # of 0.5, 0.879 with precision 0.86 (technology) to 0.97. Then opened, mended (0.894) and
    # learned by the seed model (0.995)
    "cb cc cd": (480, 0.95),
    # held out too, labelled from the guide alone: a month of general news feeds in English
    # (CE), the technology and digital-rights press in English and German (CF), a week of the
    # sources in southern and eastern Europe's languages (CG). Measured with the session's
    # start tagger, 0.813; as shipped, 0.825 (human-behaviour precision 0.63). Then opened,
    # mended (0.827) and learned by the seed model (1.000)
    "ce cf cg": (480, 0.95),
    # held out too, labelled from the guide alone: children, parents and schools in the news,
    # in English (CH), a fortnight of the sources in German, French and Dutch (CI), police,
    # prosecutors and courts' crime news in English (CJ). Measured with the session's start
    # tagger, 0.812; as shipped, 0.834 (human-behaviour precision 0.57). Then opened, mended
    # (0.840) and learned by the seed model (0.990)
    "ch ci cj": (480, 0.95),
    # held out too, labelled from the guide alone: another week of the sources in English (CK),
    # young people's online lives in German, French, Spanish and Italian (CL), regulators and
    # digital policy in English (CM). Measured with the session's start tagger, 0.871; as
    # shipped, 0.872 (human-behaviour precision 0.73). Then opened, mended (0.872) and learned
    # by the seed model (0.988)
    "ck cl cm": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (CN), a
    # week of them in the EU's other languages (CO), research, hotlines and NGOs on offenders
    # and victims in English (CP). Measured as shipped (the session's start tagger), 0.863
    # (organisational precision 0.63; 0.840 with the tagger before rounds 25 to 29 were opened).
    # Then opened, mended and learned by the seed model (0.988)
    "cn co cp": (480, 0.95),
    # held out too, labelled from the guide alone: cooperation, alliances and capacity in
    # English (CQ), a fortnight of the sources in German, French and Dutch (CR), platforms and
    # the technology press in English (CS). Measured as shipped, 0.865 (the session's start
    # tagger, 0.866; human-behaviour precision 0.69). Then opened (no rule changed) and learned
    # by the seed model (0.993)
    "cq cr cs": (480, 0.95),
    # held out too, labelled from the guide alone: a week of the sources in English (CT), how
    # children, parents and offenders behave online, in English (CU), a week of the sources in
    # southern and eastern Europe's languages (CV). Measured as shipped, 0.841 (the session's
    # start tagger, 0.828; organisational precision 0.67). Then opened, mended and learned by
    # the seed model (0.985)
    "ct cu cv": (480, 0.95),
    # held out too, labelled from the guide alone: laws, courts and parliaments in English,
    # German and French (CW), cooperation and capacity in the EU's other languages (CX), general
    # news feeds in English (CY). Measured as shipped, 0.862 (the session's start tagger, 0.853;
    # human-behaviour precision 0.67). Then opened, mended and learned by the seed model (0.994)
    "cw cx cy": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (CZ),
    # children, parents and schools online in German, French, Dutch and Spanish (DA), encryption,
    # privacy and investigation technology in English and German (DB). Measured as shipped,
    # 0.857 (the session's start tagger, 0.849; human-behaviour precision 0.62). Then opened
    # and learned by the seed model (0.980)
    "cz da db": (480, 0.95),
    # held out too, labelled from the guide alone: a month of the EU institutions, Europol and
    # the alliances in English (DC), laws, courts and parliaments in the EU's other languages
    # (DD), offenders, victims and sextortion in English and German (DE). Measured as shipped,
    # 0.843 (the session's start tagger, 0.837; organisational precision 0.68). Then opened,
    # mended and learned by the seed model (0.976)
    "dc dd de": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in German and
    # French (DF), police, prosecutors and operations in English (DG), platforms, transparency
    # and age assurance in English and Dutch (DH). Measured as shipped, 0.878 (the session's
    # start tagger, 0.864; human-behaviour precision 0.71). Then opened, mended and learned by
    # the seed model (0.985)
    "df dg dh": (480, 0.95),
    # held out too, labelled from the guide alone: NGOs, hotlines and researchers in English
    # (DI), a fortnight of the sources in Italian, Spanish and Portuguese (DJ), online-safety
    # and children's law outside the EU in English (DK). Measured as shipped, 0.818 (the
    # session's start tagger, 0.798; human-behaviour precision 0.63). Then opened, mended and
    # learned by the seed model (0.993)
    "di dj dk": (480, 0.95),
    # held out too, labelled from the guide alone: a week of the sources in English (DL),
    # offenders, victims and sextortion in French, German and Dutch (DM), general news feeds in
    # German, French and Spanish (DN). Measured as shipped, 0.885 (the session's start tagger,
    # 0.877; human-behaviour precision 0.79). Then opened, mended and learned by the seed model
    # (0.992)
    "dl dm dn": (480, 0.95),
    # held out too, labelled from the guide alone: the technology and digital-rights press in
    # English, 2023 to 2026 (DO), a fortnight of the sources in the EU's smaller languages
    # (DP), summits, declarations, funding and training in English (DQ). Measured as shipped,
    # 0.876 (the session's start tagger, 0.859; human-behaviour precision 0.79). Then opened,
    # mended and learned by the seed model (0.998)
    "do dp dq": (480, 0.95),
    # held out too, labelled from the guide alone: a week of the sources in English (DR),
    # children's and teenagers' online lives in English and German (DS), a fortnight of the
    # sources in French, German and Italian (DT). Measured as shipped, 0.868 (the session's
    # start tagger, 0.867; human-behaviour precision 0.76). Then opened, mended and learned by
    # the seed model (0.991)
    "dr ds dt": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (DU),
    # hotlines, NGOs, alliances and police on their work in German, French and Dutch (DV), a
    # fortnight of the sources in eight more of Europe's and Latin America's languages (DW).
    # Measured as shipped, 0.903 with precision 0.89 to 0.96 on every theme (the session's
    # start tagger, 0.900). Then opened, mended and learned by the seed model (0.996)
    "du dv dw": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (DX),
    # laws, bills, judgments and consultations in English, German and French (DY), research on
    # children online, offenders and the technologies in English, German and Dutch (DZ).
    # Measured as shipped, 0.890 with precision 0.84 to 0.96 on every theme (the session's
    # start tagger, 0.888). Then opened, mended and learned by the seed model (0.996)
    "dx dy dz": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EA),
    # what technology companies, platforms and researchers publish in English, German and
    # French (EB), what police, prosecutors, courts and ministries publish in English, Spanish,
    # Italian, Portuguese, Polish and Czech (EC). Measured as shipped, 0.858 with precision 0.81
    # to 0.92 on every theme (the session's start tagger, 0.858). Then opened, mended and
    # learned by the seed model (1.000)
    "ea eb ec": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (ED),
    # laws, bills and judgments in German, French and Dutch (EE), how offenders, children and
    # parents behave online in English, Swedish, Danish, Finnish, Polish and Hungarian (EF).
    # Measured as shipped, 0.873 with organisational precision 0.62 (the session's start
    # tagger, 0.869). Then opened, mended and learned by the seed model (0.992)
    "ed ee ef": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EG),
    # what hotlines, NGOs, alliances and police publish about their work in English, German
    # and French (EH), a fortnight of the sources in German and French (EI). Measured as
    # shipped, 0.921 with precision 0.89 to 0.96 on every theme (the session's start tagger,
    # 0.922). Then opened, mended and learned by the seed model (1.000)
    "eg eh ei": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EJ),
    # technology and behaviour in Spanish, Italian and Portuguese (EK), a fortnight of the
    # sources in nine of the EU's smaller languages (EL). Measured as shipped, 0.876 with
    # precision 0.89 to 0.96 on every theme (the session's start tagger, 0.868). Then opened,
    # mended and learned by the seed model (1.000)
    "ej ek el": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EM),
    # laws, rulings and operations in English-speaking countries beyond the EU and the UK (EN),
    # a fortnight of the sources in Spanish, Italian, Portuguese and Dutch (EO). Measured as
    # shipped, 0.858 with precision 0.72 (organisational) to 0.91 (the session's start
    # tagger, 0.854). Then opened, mended and learned by the seed model (0.997)
    "em en eo": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EP),
    # laws, rulings, regulators and police in the United States, Canada and Australia (EQ), a
    # fortnight of the sources in French and German (ER). Measured as shipped, 0.919 with
    # precision 0.88 to 0.97 on every theme (the session's start tagger, 0.909). Then opened,
    # mended and learned by the seed model (0.998)
    "ep eq er": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (ES),
    # technology firms, researchers and the technology press (ET), the EU institutions,
    # agencies and courts and the Council of Europe in English, French and German (EU).
    # Measured as shipped, 0.890 with precision 0.89 to 0.96 on every theme (the session's
    # start tagger, 0.901). Then opened, mended and learned by the seed model (1.000)
    "es et eu": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EV),
    # child-protection NGOs, hotlines, helplines and researchers in English, German and Dutch
    # (EW), a fortnight of the sources in fifteen of the EU's smaller languages (EX). Measured
    # as shipped, 0.885 with precision 0.87 to 0.96 on every theme (the session's start
    # tagger, 0.889). Then opened, mended and learned by the seed model (0.989)
    "ev ew ex": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (EY),
    # police, crime agencies, prosecutors and courts in English, German and French (EZ), a
    # fortnight of the sources in French, German and Dutch (FA). Measured as shipped, 0.921
    # with precision 0.89 to 0.98 on every theme (the session's start tagger, 0.918). Then
    # opened, mended and learned by the seed model (0.997)
    "ey ez fa": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (FB),
    # parliaments and governments in the UK, Ireland, Malta and the EU institutions (FC), a
    # fortnight of the sources in Spanish, Italian and Portuguese (FD). Measured as shipped,
    # 0.872 with precision 0.91 to 0.97 on every theme (the session's start tagger, 0.866).
    # Then opened, mended and learned by the seed model (0.997)
    "fb fc fd": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (FE),
    # children's and teenagers' online lives in English and German, with the human-behaviour
    # and technology lines named (FF), a fortnight of the sources in German and French (FG).
    # Measured as shipped, 0.882 with human-behaviour precision 0.73 (the other themes 0.91 to
    # 0.95; the session's start tagger gives the same themes). Then opened, mended and learned
    # by the seed model (0.998)
    "fe ff fg": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (FH),
    # technology companies and the technology press in English, with the technology line named
    # (FI), a fortnight of the sources in Dutch, Polish, Swedish, Danish and Czech (FJ).
    # Measured as shipped, 0.863 with organisational precision 0.75 (the others 0.80 to 0.97;
    # the session's start tagger, 0.860). Then opened, mended and learned by the seed model
    # (0.998)
    "fh fi fj": (480, 0.95),
    # held out too, labelled from the guide alone: a fortnight of the sources in English (FK),
    # how police bodies, hotlines, NGOs, alliances and funders organise the response, in
    # English, with the organisational line named (FL), a fortnight of the sources in Spanish,
    # Italian and Portuguese (FM). Measured as shipped, 0.944 with precision 0.88 or more on
    # every theme (the session's start tagger, 0.942). Then opened, mended and learned by the
    # seed model (0.998)
    "fk fl fm": (480, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: a fortnight of the sources in English (FN, 125 items),
    # how offenders and children behave online, in English, with the human-behaviour line
    # named (FO), a fortnight of the sources in German, French and Dutch (FP). Measured as
    # shipped, 0.827 with technology precision 0.59 (the session's start tagger, 0.828). Then
    # opened, mended and learned by the seed model (1.000)
    "fn fo fp": (445, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: a fortnight of the sources in English (FQ), what
    # technology companies and the technology press publish, in English, with the technology
    # line named (FR, 120 items), what courts, parliaments and regulators beyond the EU
    # institutions publish, in English, with the legislation line named (FS). Measured as
    # shipped, 0.806 with human-behaviour precision 0.68 (the session's start tagger, 0.818).
    # Then opened, mended and learned by the seed model (1.000)
    "fq fr fs": (440, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: a fortnight of the sources in English (FT), how the
    # response is organised outside Europe and North America, in English, with the
    # organisational line named (FU), a fortnight of the sources in nine of the EU's smaller
    # languages (FV). Measured as shipped, 0.761 with technology precision 0.70 (the session's
    # start tagger, 0.748). Then opened, mended and learned by the seed model (0.992)
    "ft fu fv": (480, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: a fortnight of the sources in English (FW), a fortnight
    # of the sources in eight Nordic and Baltic languages (FX), what parliaments publish in
    # German and French, with the legislation and organisational lines named (FY). Measured as
    # shipped, 0.683 with human-behaviour precision 0.50 (the session's start tagger, the same
    # code, 0.683). Then opened, mended and learned by the seed model (0.994)
    "fw fx fy": (480, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: a fortnight of the sources in English (FZ), a fortnight
    # of the sources in German and French (GA, 150 items), what the EU institutions publish in
    # English, with the legislation and organisational lines named (GB). Measured as shipped,
    # 0.840 with human-behaviour precision 0.75 (the session's start tagger, 0.823). Then
    # opened, mended and learned by the seed model (0.994)
    "fz ga gb": (470, 0.95),
    # held out too, labelled from the guide alone, with at most a third of the themed items
    # re-reporting known developments: fortnights of the sources in English (GC, 131 items), in
    # Dutch (GD), and in Spanish, Italian and Portuguese (GE). Measured as shipped, 0.785 with
    # organisational precision 0.77 (the session's start tagger, 0.781)
    "gc gd ge": (451, 0.75),
}


@pytest.mark.parametrize("letters", sorted(SEED_FLOORS))
def test_quality_floor_on_later_rounds_with_the_seed_model(shipped, letters):
    count, floor = SEED_FLOORS[letters]
    examples = pooled([f"tagging-extra-{x}.jsonl" for x in letters.split()])
    assert len(examples) == count
    assert evaluate(examples, rules_and_seed(shipped)).macro_f1 >= floor


def test_taggers_can_be_switched_off_in_feeds_yaml(project, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "title": LENS_ITEMS[0][0], "summary": ""}) + "\n")
    project.write_config([], taggers={"seed": False})
    status = json.loads(project.run("tagger", "status", "--json").stdout)
    assert {t["name"] for t in status["taggers"]} == {"source", "keywords"}
    out = json.loads(project.run("tagger", "classify", str(path)).stdout)
    assert "seed" not in {name for by in out["evidence"].values() for name in by}
    # Named on the command line, a tagger switched off still runs.
    named = json.loads(project.run("tagger", "classify", "-t", "seed", str(path)).stdout)
    assert {name for by in named["evidence"].values() for name in by} == {"seed"}

    project.write_config([], taggers={"sed": False})
    bad = project.run("tagger", "status")
    assert bad.exit_code == 2 and "'taggers': no tagger named sed" in bad.stderr
    project.write_config([], taggers=["seed"])
    bad = project.run("pull")
    assert bad.exit_code == 2 and "'taggers' must map tagger names to true or false" in bad.stderr
