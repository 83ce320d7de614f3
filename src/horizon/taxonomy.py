"""The taxonomy as data: four fixed themes, their topics with rules, and the 4P lens.

The shipped file is `horizon/data/taxonomy.yaml`. A deployment extends or overrides it with a
`taxonomy:` key in feeds.yaml (a mapping of the same shape, or the path of such a file):
new sets, topics and 4P entries are added; for an existing topic or set, `rules`, `exclude`
and set terms are appended unless `replace: true` is given; other keys replace the shipped value.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from horizon.config import THEME_IDS, describe_errors, read_yaml
from horizon.errors import ConfigError

FOURP_IDS = ("pursue", "prevent", "protect", "prepare")


class Rule(BaseModel):
    """Weighted evidence: any of `terms`, and one of each `and` group, optionally close together."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    terms: list[str] = Field(min_length=1)
    and_: list[list[str] | str] = Field(default_factory=list, alias="and")
    near: int | None = Field(default=None, ge=1, le=500)
    weight: float = Field(default=3.0, gt=0, le=100)
    title: bool = False
    unless: list[str] = Field(default_factory=list)
    note: str | None = None


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    theme: str
    label: str
    description: str = ""
    threshold: float | None = None
    rules: list[Rule] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str) -> str:
        if value not in THEME_IDS:
            raise ValueError(f"unknown theme {value!r}; use {', '.join(THEME_IDS)}")
        return value


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    label: str
    section: str = ""
    description: str = ""
    threshold: float | None = None
    # This theme's own `agree` where the rules and the models combine (the taxonomy's otherwise)
    agree: float | None = Field(default=None, gt=0, le=1)
    rules: list[Rule] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class FourP(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    label: str
    description: str = ""
    threshold: float | None = None
    rules: list[Rule] = Field(default_factory=list)


# The rules and the models give a tag together when a weighted mean of the rules' confidence
# and the models' probability reaches AGREE, the models weighing MODEL_WEIGHT: over folds of
# sets the rules and the model had not seen (`python benchmarks/combination.py`,
# docs/taxonomy.md) the weight with the best mean macro-F1; over 38 folds
# (`python benchmarks/model_alone.py`) an AGREE of 0.35 gives the same mean macro-F1 as 0.3
# and more precision on the weakest theme (0.749 against 0.727). A model alone then adds a tag
# the rules have no term for at a probability of 0.5, and vetoes a rule hit at the rules'
# threshold below 0.29, one at twice the threshold below 0.07. Higher `agree` gives fewer,
# surer tags; a lower `model_weight` trusts the rules more (both in the taxonomy or its
# override).
AGREE = 0.35
MODEL_WEIGHT = 0.7
# A theme the rules have no term for at all is given by the models alone only where their
# probability reaches MODEL_ALONE as well. At the shipped pair it asks what the mean asks
# already (0.5); it keeps a deployment that lowers `agree` or raises `model_weight` from adding
# themes on the models' word alone below it (with `agree` 0.3, over 38 folds, the same mean
# macro-F1 within 0.001 and more precision on the weakest theme: 0.727 against 0.714). 0 turns
# it off.
MODEL_ALONE = 0.5


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: str = "1"
    threshold: float = Field(default=3.0, gt=0)
    agree: float = Field(default=AGREE, gt=0, le=1)
    model_weight: float = Field(default=MODEL_WEIGHT, ge=0, le=1)
    model_alone: float = Field(default=MODEL_ALONE, ge=0, le=1)
    title_bonus: float = Field(default=1.0, ge=0)
    text_chars: int = Field(default=2000, ge=100, le=1_000_000)
    # Sets whose terms mark an item as no development of any theme (a job advert ...): no rule
    # counts and no model overrides that "no".
    vetoes: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    sets: dict[str, list[str]] = Field(default_factory=dict)
    themes: dict[str, Theme]
    topics: dict[str, Topic] = Field(default_factory=dict)
    fourp: dict[str, FourP] = Field(default_factory=dict)

    def agree_for(self, kind: str, value: str) -> float:
        """The `agree` a tag needs: its theme's own, where the theme sets one."""
        theme = self.themes.get(value) if kind == "theme" else None
        return theme.agree if theme is not None and theme.agree is not None else self.agree

    @field_validator("themes")
    @classmethod
    def _four_themes(cls, value: dict[str, Theme]) -> dict[str, Theme]:
        if sorted(value) != sorted(THEME_IDS):
            raise ValueError(
                f"themes must be exactly {', '.join(THEME_IDS)} (got {', '.join(value) or 'none'})"
            )
        return {t: value[t] for t in THEME_IDS}

    @field_validator("fourp")
    @classmethod
    def _fourp_ids(cls, value: dict[str, FourP]) -> dict[str, FourP]:
        unknown = set(value) - set(FOURP_IDS)
        if unknown:
            raise ValueError(
                f"unknown 4P id(s) {', '.join(sorted(unknown))}; use {', '.join(FOURP_IDS)}"
            )
        return value


def shipped_taxonomy_data() -> dict[str, Any]:
    """The shipped taxonomy.yaml, read with libyaml where PyYAML has it: in 15 ms instead of
    ruamel's 0.25 to 0.4 s, which every command paid. A test checks that ruamel's reading
    (YAML 1.2, as feeds.yaml is read) is the same, so a term such as `no` stays a string."""
    text = resources.files("horizon").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(data, dict)
    return data


def merge_taxonomy(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Apply a deployment's `taxonomy:` to the shipped data (see the module docstring)."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if key in ("sets", "topics", "themes", "fourp") and isinstance(value, dict):
            target = merged.setdefault(key, {})
            for name, spec in value.items():
                if key == "sets":
                    if isinstance(spec, dict) and spec.get("replace"):
                        target[name] = list(spec.get("terms", []))
                    elif isinstance(spec, list):
                        target[name] = [*target.get(name, []), *spec]
                    else:
                        target[name] = spec  # let validation report the wrong shape
                    continue
                if name not in target or not isinstance(spec, dict):
                    target[name] = spec
                    continue
                spec = dict(spec)
                replace = bool(spec.pop("replace", False))
                current = dict(target[name])
                for field, new in spec.items():
                    if field in ("rules", "exclude") and not replace and isinstance(new, list):
                        current[field] = [*current.get(field, []), *new]
                    else:
                        current[field] = new
                target[name] = current
        else:
            merged[key] = value
    return merged


def load_taxonomy(
    override: Any = None, base_dir: Path | None = None, where: str = "feeds.yaml"
) -> Taxonomy:
    """The shipped taxonomy with a deployment's additions, validated with clear errors."""
    data = shipped_taxonomy_data()
    label = "taxonomy"
    if override is None:
        where = "the shipped taxonomy.yaml"  # nothing of the deployment's is at fault
    else:
        if isinstance(override, str):
            path = Path(override)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            label = path.name
            override = read_yaml(path)
            where = path.name
        if not isinstance(override, dict):
            raise ConfigError(f"{where}: 'taxonomy' must be a mapping or the path of a YAML file")
        data = merge_taxonomy(data, _plain(override))
    try:
        taxonomy = Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_errors(exc, f"{where}, {label}"))) from None
    _check_sets(taxonomy, where)
    return taxonomy


def _plain(value: Any) -> Any:
    """ruamel's commented containers to plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_sets(taxonomy: Taxonomy, where: str) -> None:
    errors = []

    def check(terms: list[str], owner: str) -> None:
        for term in terms:
            if term.startswith("@") and term[1:] not in taxonomy.sets:
                errors.append(f"{where}, taxonomy {owner}: unknown set {term!r}")
            elif not term.strip("@* ").strip():
                errors.append(f"{where}, taxonomy {owner}: empty term")
            elif "*" in term.strip("*"):
                errors.append(
                    f"{where}, taxonomy {owner}: {term!r}: '*' stands for any ending or beginning "
                    "only at a term's end or start; inside a term it would match nothing (write "
                    "each form out)"
                )

    def check_rules(rules: list[Rule], owner: str) -> None:
        for index, rule in enumerate(rules):
            check(rule.terms, f"{owner} rule {index + 1}")
            check(rule.unless, f"{owner} rule {index + 1}")
            for group in rule.and_:
                check([group] if isinstance(group, str) else group, f"{owner} rule {index + 1}")

    check(taxonomy.ignore, "ignore")
    check([f"@{name}" for name in taxonomy.vetoes], "vetoes")
    for name, terms in taxonomy.sets.items():
        check([t for t in terms if not t.startswith("@")], f"set {name!r}")
    for name, topic in taxonomy.topics.items():
        check_rules(topic.rules, f"topic {name!r}")
        check(topic.exclude, f"topic {name!r} exclude")
    for name, theme in taxonomy.themes.items():
        check_rules(theme.rules, f"theme {name!r}")
    for name, lens in taxonomy.fourp.items():
        check_rules(lens.rules, f"4P {name!r}")
    if errors:
        raise ConfigError("\n".join(errors))
