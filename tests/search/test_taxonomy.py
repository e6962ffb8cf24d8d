"""The taxonomy file: the shipped default, validation messages that name the file and label, lookups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from search.characterization.tagging import phrase_pattern
from search.characterization.taxonomy import (
    FACETS,
    TaxonomyError,
    default_taxonomy_path,
    load_taxonomy,
    parse_taxonomy,
)


def test_default_taxonomy_has_the_four_facets_and_the_workplan_labels():
    taxonomy = load_taxonomy()
    assert tuple(taxonomy.facets) == FACETS == ("theme", "risk", "audience", "initiative_type")
    sizes = {f: len(taxonomy.facets[f].labels) for f in FACETS}
    assert sizes == {"theme": 5, "risk": 10, "audience": 7, "initiative_type": 10}
    themes = [label.name for label in taxonomy.facets["theme"].labels]
    assert themes == ["Legal frameworks", "Regulatory frameworks and reporting mechanisms",
                      "Education, digital literacy and national awareness", "Research and technical tools",
                      "Integrating child online protection into broader initiatives"]
    for label in taxonomy.labels():
        assert label.description and len(label.examples) >= 3, label.id
        assert 0 < taxonomy.facets[label.facet].threshold < 1


def test_labels_are_found_by_id_or_name_whatever_the_case_and_separators():
    taxonomy = load_taxonomy()
    assert taxonomy.find("age assurance").id == "age_assurance"
    assert taxonomy.find("AGE-ASSURANCE").id == "age_assurance"
    assert taxonomy.find("legal_frameworks").facet == "theme"
    assert taxonomy.find("Parents and caregivers").id == "parents_caregivers"
    assert taxonomy.find("training teachers in rural schools") is None


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _default_data() -> dict:
    return yaml.safe_load(default_taxonomy_path().read_text())


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["facets"].pop("risk"), r"facet 'risk' is missing"),
    (lambda d: d["facets"].__setitem__("mood", d["facets"]["risk"]), r"unknown facet 'mood'"),
    (lambda d: d["facets"]["risk"]["labels"][2].pop("examples"), r"facet 'risk', label 'sextortion': examples"),
    (lambda d: d["facets"]["theme"]["labels"][0].__setitem__("description", ""),
     r"label 'legal_frameworks': description must be a non-empty text"),
    (lambda d: d["facets"]["audience"]["labels"][1].__setitem__("id", "children"), r"'children' appears twice"),
    (lambda d: d["facets"]["audience"]["labels"][1].__setitem__("id", "Young People"), r"'id' must be lower-case"),
    (lambda d: d["facets"]["theme"].__setitem__("threshold", 3), r"facet 'theme': threshold must be"),
    (lambda d: d["facets"]["theme"]["labels"][0].__setitem__("exemples", ["x"]), r"unknown key 'exemples'"),
    (lambda d: d["facets"]["risk"]["labels"][0]["examples"].append(7), r"label 'grooming': examples: every entry"),
])
def test_bad_taxonomy_files_name_the_file_and_the_label_at_fault(tmp_path: Path, edit, expected: str):
    data = _default_data()
    edit(data)
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError, match=expected) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)


def test_unreadable_or_non_yaml_files_are_clear_errors(tmp_path: Path):
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("facets: [unclosed\n")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(broken)
    with pytest.raises(TaxonomyError, match="'facets' key"):
        parse_taxonomy(["a", "list"], "x.yaml")


def test_an_edited_taxonomy_loads_with_its_new_label(tmp_path: Path):
    data = _default_data()
    data["facets"]["risk"]["labels"].append(
        {"id": "radicalisation", "name": "Radicalisation", "description": "Extremist recruitment of children.",
         "examples": ["violent extremism", "online radicalisation"]})
    taxonomy = load_taxonomy(_write(tmp_path, data))
    assert taxonomy.find("radicalisation").name == "Radicalisation"
    assert len(taxonomy.facets["risk"].labels) == 11


@pytest.mark.parametrize("phrase, text, matches", [
    ("encryption", "end-to-end encryption and encrypted apps", True),
    ("criminalise", "laws that criminalised possession", True),
    ("police", "the policy of the ministry", False),
    ("police", "police and prosecutors", True),
    ("AI", "we aim to help", False),
    ("AI", "AI tools for investigators", True),
    ("strategy", "national strategies on COP", True),
    ("age assurance", "age-assurance providers", True),
    ("EQUALS", "equal rights", False),
])
def test_phrase_patterns_match_inflections_but_not_other_words(phrase: str, text: str, matches: bool):
    assert bool(re.search(phrase_pattern(phrase), text, re.IGNORECASE)) is matches
