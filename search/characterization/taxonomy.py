"""The characterization taxonomy: four facets of labels, loaded from a YAML file the secretariat edits.

Every problem in the file is reported with the file name and the facet/label at fault, so a person
editing it by hand can fix it without reading code.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from index.filters import LABEL_FACETS
from ingest.errors import CwgError

FACETS = LABEL_FACETS  # the taxonomy's facets: the label filters of index/filters.py
DEFAULT_THRESHOLD = 0.55
_LABEL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FACET_KEYS = {"name", "description", "threshold", "max_labels", "labels"}
_LABEL_KEYS = {"id", "name", "description", "examples", "keywords"}


class TaxonomyError(CwgError):
    """The taxonomy file is missing, not YAML, or does not follow the expected shape."""


@dataclass(frozen=True)
class Label:
    facet: str
    id: str
    name: str
    description: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()

    @property
    def prototypes(self) -> list[str]:
        """The texts embedded to represent the label: its name with its description, and each example."""
        return [f"{self.name}. {self.description}", *self.examples]

    @property
    def phrases(self) -> list[str]:
        """The phrases matched lexically in documents."""
        return [self.name, *self.examples, *self.keywords]


@dataclass(frozen=True)
class Facet:
    id: str
    name: str
    description: str
    threshold: float
    max_labels: int
    labels: tuple[Label, ...]

    def label(self, label_id: str) -> Label:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise TaxonomyError(f"facet {self.id!r} has no label {label_id!r}: "
                            f"choose from {', '.join(lb.id for lb in self.labels)}")


@dataclass(frozen=True)
class Taxonomy:
    facets: dict[str, Facet]
    source: str = "<default>"

    def labels(self, facet: str | None = None) -> list[Label]:
        facets = [self.facets[facet]] if facet else list(self.facets.values())
        return [label for f in facets for label in f.labels]

    def find(self, text: str) -> Label | None:
        """The label whose id or name matches `text` (case, spaces, `_` and `-` ignored), if any."""
        key = _normalise(text)
        for label in self.labels():
            if key in (_normalise(label.id), _normalise(label.name)):
                return label
        return None

    def name_of(self, facet: str, label_id: str) -> str:
        facet_obj = self.facets.get(facet)
        if facet_obj is None:
            return label_id
        for label in facet_obj.labels:
            if label.id == label_id:
                return label.name
        return label_id


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def default_taxonomy_path() -> Path:
    return Path(str(importlib.resources.files("search.characterization") / "taxonomy.yaml"))


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (the shipped default when `path` is None)."""
    file = Path(path) if path is not None else default_taxonomy_path()
    where = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"taxonomy file {where} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {where}: {exc}") from None
    return replace(_parsed(text, where), source=str(file.resolve()))


@lru_cache(maxsize=16)  # the same text parses to the same taxonomy: a request that names it does not parse it again
def _parsed(text: str, where: str) -> Taxonomy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{where} is not valid YAML: {exc}") from None
    return parse_taxonomy(data, where)


def parse_taxonomy(data: Any, where: str = "<taxonomy>") -> Taxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("facets"), dict):
        raise TaxonomyError(f"{where}: expected a mapping with a 'facets' key holding {', '.join(FACETS)}")
    facets_data = data["facets"]
    unknown = sorted(set(map(str, facets_data)) - set(FACETS))
    if unknown:
        raise TaxonomyError(f"{where}: unknown facet {unknown[0]!r}: facets are {', '.join(FACETS)}")
    missing = [f for f in FACETS if f not in facets_data]
    if missing:
        raise TaxonomyError(f"{where}: facet {missing[0]!r} is missing (every taxonomy has {', '.join(FACETS)})")
    facets = {name: _parse_facet(name, facets_data[name], where) for name in FACETS}
    return Taxonomy(facets=facets, source=where)


def _parse_facet(name: str, data: Any, where: str) -> Facet:
    at = f"{where}: facet {name!r}"
    if not isinstance(data, dict):
        raise TaxonomyError(f"{at}: expected a mapping with 'labels'")
    extra = sorted(set(map(str, data)) - _FACET_KEYS)
    if extra:
        raise TaxonomyError(f"{at}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(_FACET_KEYS))})")
    threshold = data.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise TaxonomyError(f"{at}: threshold must be a number between 0 and 1, got {threshold!r}")
    max_labels = data.get("max_labels", 100)
    if isinstance(max_labels, bool) or not isinstance(max_labels, int) or max_labels < 1:
        raise TaxonomyError(f"{at}: max_labels must be a positive whole number, got {max_labels!r}")
    labels_data = data.get("labels")
    if not isinstance(labels_data, list) or not labels_data:
        raise TaxonomyError(f"{at}: 'labels' must be a non-empty list")
    labels: list[Label] = []
    seen: set[str] = set()
    for position, item in enumerate(labels_data, start=1):
        label = _parse_label(name, item, f"{at}, label #{position}")
        if label.id in seen:
            raise TaxonomyError(f"{at}: label id {label.id!r} appears twice")
        seen.add(label.id)
        labels.append(label)
    return Facet(name, _text(data.get("name", name), f"{at}: name"), str(data.get("description") or ""),
                 float(threshold), max_labels, tuple(labels))


def _parse_label(facet: str, data: Any, at: str) -> Label:
    if not isinstance(data, dict):
        raise TaxonomyError(f"{at}: expected a mapping with id, name, description, examples")
    label_id = data.get("id")
    if isinstance(label_id, str) and label_id:
        at = f"{at.rsplit(', label #', 1)[0]}, label {label_id!r}"
    extra = sorted(set(map(str, data)) - _LABEL_KEYS)
    if extra:
        raise TaxonomyError(f"{at}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(_LABEL_KEYS))})")
    if not isinstance(label_id, str) or not _LABEL_ID.match(label_id):
        raise TaxonomyError(f"{at}: 'id' must be lower-case letters, digits, '_' or '-' (got {label_id!r})")
    name = _text(data.get("name"), f"{at}: name")
    description = _text(data.get("description"), f"{at}: description")
    examples = _phrases(data.get("examples"), f"{at}: examples", required=True)
    keywords = _phrases(data.get("keywords", []), f"{at}: keywords", required=False)
    return Label(facet, label_id, name, description, examples, keywords)


def _text(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{at} must be a non-empty text")
    return " ".join(value.split())


def _phrases(value: Any, at: str, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise TaxonomyError(f"{at} must be a {'non-empty ' if required else ''}list of phrases")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise TaxonomyError(f"{at}: every entry must be a non-empty text, got {item!r}")
        out.append(" ".join(item.split()))
    return tuple(out)
