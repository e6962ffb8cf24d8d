from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter


def test_label_filters_accept_ids_and_recorded_names(fake_index: IndexFolder, tmp_path: Path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\nSome text about {name}.\n")
    IndexWriter(fake_index).ingest([tmp_path / "a.md", tmp_path / "b.md"])
    with fake_index.store.transaction() as conn:
        conn.execute("INSERT INTO labels VALUES ('a', 'risk', 'age_assurance', 0.9, NULL)")
        conn.execute("INSERT INTO labels VALUES ('b', 'theme', 'legal_frameworks', 0.8, NULL)")
        conn.execute("INSERT INTO state VALUES ('tagging', ?)", (json.dumps(
            {"labels": {"risk": {"age_assurance": "Age assurance"}, "theme": {"legal_frameworks": "Legal frameworks"}}}),))
    docs = fake_index.store.documents
    assert [d.id for d in docs(Filters.parse(["risk=age_assurance"]))] == ["a"]
    assert [d.id for d in docs(Filters.parse(["risk=Age assurance"]))] == ["a"]
    assert [d.id for d in docs(Filters.parse(["theme=legal frameworks", "theme=nothing"]))] == ["b"]
    assert docs(Filters.parse(["risk=Age assurance", "theme=Legal frameworks"])) == []
    assert docs(Filters.parse(["risk=grooming"])) == []


def _three_actors(fake_index: IndexFolder, tmp_path: Path) -> None:
    docs = {"ph-gov.md": ("The Philippines passed a law against online sexual abuse of children.",
                          {"source": "Philippines", "country": "Philippines"}),
            "stairway.md": ("Stairway Foundation trains teachers in the Philippines on online safety.",
                            {"source": "Stairway Foundation", "country": "Philippines"}),
            "unicef.md": ("UNICEF guidance on laws against online child sexual exploitation.", {"source": "UNICEF"})}
    files, entries = [], {}
    for name, (text, entry) in docs.items():
        (tmp_path / name).write_text(text)
        files.append(tmp_path / name)
        entries[(tmp_path / name).resolve()] = entry
    assert not IndexWriter(fake_index).ingest(files, entries).failed


def test_actor_type_is_stored_filtered_and_counted(fake_index: IndexFolder, tmp_path: Path):
    from search.characterization.facets import facet_counts

    _three_actors(fake_index, tmp_path)
    kinds = {d.id: d.actor_type for d in fake_index.store.documents()}
    assert kinds == {"ph-gov": "member_state", "stairway": "civil_society", "unicef": "un_agency"}
    assert [d.id for d in fake_index.store.documents(Filters.parse(["actor_type=member_state"]))] == ["ph-gov"]
    counts = {v.value: (v.count, v.name) for v in facet_counts(fake_index.store)["actor_type"]}
    assert counts == {"member_state": (1, "Member state"), "civil_society": (1, "Civil society"),
                      "un_agency": (1, "UN agency")}
    assert fake_index.store.document("stairway").to_json()["actor_type"] == "civil_society"


def test_documents_from_before_actor_type_get_it_when_the_store_opens(fake_index: IndexFolder, tmp_path: Path):
    from index.store import SqliteStore

    _three_actors(fake_index, tmp_path)
    with fake_index.store.transaction() as conn:  # as an index written before migration 3 has them
        conn.execute("UPDATE documents SET actor_type = ''")
    reopened = SqliteStore(fake_index.store.path)  # type: ignore[attr-defined]
    try:
        assert {d.id: d.actor_type for d in reopened.documents()} == {
            "ph-gov": "member_state", "stairway": "civil_society", "unicef": "un_agency"}
    finally:
        reopened.close()


def test_one_folding_rule_for_filter_values() -> None:
    from index.filters import fold

    assert fold("CÔTE D'IVOIRE") == fold("Côte d'Ivoire") == "côte d'ivoire"  # not ASCII only
    assert fold("STRASSE") == fold("Straße") == "strasse"  # case folding, not lower()
    assert fold("ﬁlters") == "filters" and fold("Ｋｅｎｙａ") == "kenya"  # NFKC: ligatures, full width
    assert fold("  Information \t document ") == "information document"
    assert fold("ΣΊΣΥΦΟΣ") == fold("σίσυφος")  # final sigma


def test_curation_filters_take_a_status_by_id_or_name() -> None:
    from ingest.errors import QueryError

    assert Filters.parse(["curation=Best practice", "curation=PROMISING"]).fields == {
        "curation": ["Best practice", "PROMISING"]}
    with pytest.raises(QueryError, match="curation 'excellent' is not one of best_practice"):
        Filters.parse(["curation=excellent"])
