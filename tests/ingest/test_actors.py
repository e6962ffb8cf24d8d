"""Who submitted what: `actor_type` from the manifest, else from the source (countries, known
organisations, what the name says)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest.actors import infer_actor_type, normalize_actor_type
from ingest.prepare import prepare_document
from tests.conftest import SAMPLE

# The sample meeting's sources, judged by hand.
SAMPLE_SOURCES = {
    "5Rights Foundation": "civil_society", "Australia": "member_state", "Bahrain": "member_state",
    "CWG-COP": "secretariat", "Canada": "member_state", "Center for Global IT Cooperation": "civil_society",
    "Council of Europe": "intergovernmental", "ECPAT International": "civil_society", "Egypt": "member_state",
    "ICMEC": "civil_society", "ITU Secretariat": "secretariat", "Italy": "member_state", "Kaspersky": "industry",
    "Malawi": "member_state", "Morocco": "member_state", "PKPA Foundation Indonesia": "civil_society",
    "Philippines": "member_state", "Roblox": "industry", "SCORT Foundation": "civil_society",
    "SWGfL": "civil_society", "Safe Online": "other", "Saudi Arabia": "member_state",
    "Stairway Foundation": "civil_society", "Stiftung Digitale Chancen": "civil_society", "UNICEF": "un_agency",
    "UNICRI": "un_agency", "United Arab Emirates": "member_state", "Voice of Children": "civil_society",
    "euCONSENT": "civil_society",
}


def test_every_sample_source_is_classified_as_judged_by_hand() -> None:
    sources = {row["source"] for row in csv.DictReader((SAMPLE / "manifest.csv").open(encoding="utf-8"))}
    assert sources == set(SAMPLE_SOURCES)
    wrong = {s: infer_actor_type(s) for s in sources if infer_actor_type(s) != SAMPLE_SOURCES[s]}
    assert not wrong


@pytest.mark.parametrize(("source", "country", "expected"), [
    ("Ministry of Education, with UNICEF support", "", "member_state"),
    ("National Commission for Protection of Child Rights", "India", "member_state"),
    ("National Commission for Protection of Child Rights", "", "other"),  # of which state? not said
    ("University of Oxford", "", "academia"),
    ("Acme Telecom Ltd", "", "industry"),
    ("Republic of Korea", "", "member_state"),
    ("", "", ""),
])
def test_what_a_source_name_says(source: str, country: str, expected: str) -> None:
    assert infer_actor_type(source, country) == expected


def test_names_and_aliases_of_actor_types() -> None:
    assert normalize_actor_type("Member State") == ("member_state", True)
    assert normalize_actor_type("NGO") == ("civil_society", True)
    assert normalize_actor_type("UN agency") == ("un_agency", True)
    assert normalize_actor_type("Intergovernmental organisation") == ("intergovernmental", True)
    assert normalize_actor_type("think tank") == ("", False)


def test_manifest_actor_type_wins_and_a_bad_one_is_reported(tmp_path: Path) -> None:
    from ingest.metadata import read_manifest

    (tmp_path / "m.csv").write_text("path,source,country,actor_type\n"
                                    "a.txt,Stairway Foundation,Philippines,NGO\n"
                                    "b.txt,Stairway Foundation,Philippines,think tank\n")
    manifest = read_manifest(tmp_path / "m.csv")
    entries = {p.name: e for p, e in manifest.entries.items()}
    assert entries["a.txt"]["actor_type"] == "civil_society" and "actor_type" not in entries["b.txt"]
    assert manifest.problems == ["m.csv:3: actor_type 'think tank' is not one of member_state, intergovernmental, "
                                 "un_agency, civil_society, industry, academia, secretariat, other: inferred from "
                                 "the source instead"]
    doc = prepare_document(Path("b.txt"), b"Stairway Foundation trains children in the Philippines.",
                           entries["b.txt"])
    assert (doc.meta.actor_type, doc.meta.country) == ("civil_society", "Philippines")
