"""Curation and quality belong to the contribution (issue 27): a status set on one language version holds for
every version, with the history of all of them; the quality profile is the most complete version's, shown on
each. Versions written here: one short contribution in English, French and Spanish under one symbol, another in
English and French without a symbol (a curator links them), and an unrelated document; on both stores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.metadata import read_manifest
from search.characterization.facets import facet_counts
from search.characterization.repository import card, curation_of, select
from search.characterization.tagging import taxonomy_for
from search.retrieval.scope import in_scope
from search.retrieval.versions import contributions, link
from tests.conftest import SAMPLE

HELPLINE = ("helpline-en", "helpline-fr", "helpline-es")  # one symbol, three languages
WORKSHOP = ("workshop-en", "atelier-fr")  # no symbol: linked by a curator
FILES = {
    "helpline-en.md": ("en", "CWG-COP/21/C/07-E", """# A national helpline for children

Objective: the helpline aims to give every child a safe place to report online abuse.
The Child Helpline 116 is a free service run by the Ministry with the national police and two NGOs, open day and
night for children aged 8 to 17, their parents and teachers.
Results: in 2023 it answered 12,400 calls and referred 860 cases to the police; an independent evaluation in 2024
found that 78% of callers were satisfied.
Lessons learned: children call at night, so trained night staff matter most.
"""),
    "helpline-fr.md": ("fr", "CWG-COP/21/C/07-F", """# Une ligne d'assistance nationale pour les enfants

Objectif : la ligne d'assistance vise à offrir à chaque enfant un lieu sûr pour signaler les abus en ligne.
La ligne 116 est un service gratuit géré par le ministère avec la police nationale et deux ONG, ouvert jour et nuit
aux enfants de 8 à 17 ans, à leurs parents et aux enseignants.
Résultats : en 2023, elle a répondu à 12 400 appels et transmis 860 cas à la police.
"""),
    "helpline-es.md": ("es", "CWG-COP/21/C/07-S", """# Una línea de ayuda nacional para la infancia

Objetivo: la línea de ayuda busca ofrecer a cada niño un lugar seguro para denunciar el abuso en línea.
La línea 116 es un servicio gratuito del Ministerio con la policía nacional y dos ONG, abierto día y noche para
niños de 8 a 17 años, sus padres y docentes.
"""),
    "workshop-en.md": ("en", "", """# Teacher workshops in Rabat

Workshops in Rabat trained teachers on child online protection.
"""),
    "atelier-fr.md": ("fr", "", """# Ateliers pour les enseignants à Rabat

Objectif : former les enseignants à la protection des enfants en ligne.
Le programme de formation du ministère, avec l'UNICEF, s'adresse aux enseignants des écoles primaires.
Résultats : en 2023, 420 enseignants ont été formés dans 12 écoles ; une évaluation a montré une meilleure
connaissance des risques.
Leçons apprises : les ateliers courts fonctionnent mieux.
"""),
    "age-checks.md": ("en", "CWG-COP/21/C/09", """# Age assurance for online services

A note on age checks for platforms used by children.
"""),
}


def build(folder: IndexFolder, root: Path) -> IndexFolder:
    root.mkdir(parents=True, exist_ok=True)
    rows = ["path,source,doc_type,meeting,date,language,symbol"]
    for name, (language, symbol, text) in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
        rows.append(f"{name},Ministry,contribution,CWG-COP-21,2025-01-20,{language},{symbol}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = IndexWriter(folder).ingest([root / n for n in FILES], read_manifest(root / "manifest.csv").entries)
    assert not report.failed, report.failed
    folder.refresh_vectors()
    link(folder.store, list(WORKSHOP))  # no symbol says so: a curator confirms them
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> IndexFolder:
    folder = request.getfixturevalue("fake_index" if request.param == "sqlite" else "pg_index")
    return build(folder, tmp_path / "docs")


def _ids(store, *pairs: str) -> set[str]:
    return {d.id for d in store.documents(in_scope(Filters.parse(["collection=all", *pairs]), store))}


def test_the_versions_written_here_are_two_contributions(index: IndexFolder) -> None:
    groups = [[v.document_id for v in g] for g in contributions(index.store).versions.groups()]
    assert sorted(groups) == sorted([sorted(HELPLINE), sorted(WORKSHOP)])


def test_a_status_set_on_one_version_holds_for_all_with_the_whole_history(index: IndexFolder) -> None:
    store = index.store
    taxonomy = taxonomy_for(store)
    assert {curation_of(store, d)["status"] for d in HELPLINE} == {"none"}
    store.curate("helpline-fr", "best_practice", "Reports calls, referrals and an evaluation", "secretariat")
    for doc in HELPLINE:
        shown = curation_of(store, doc)
        assert shown["status"] == "best_practice", doc
        assert [(e["document_id"], e["status"]) for e in shown["history"]] == [("helpline-fr", "best_practice")]
        assert card(index, taxonomy, doc)["curation"]["status"] == "best_practice"
    assert store.document("helpline-en").curation == "none"  # the store's history stays the version's own
    assert curation_of(store, "age-checks")["status"] == "none"

    # filters read the contribution's status, evaluated before anything is listed (both stores' SQL)
    assert _ids(store, "curation=best_practice") == set(HELPLINE)
    assert _ids(store, "curation=Best practice", "document_id=helpline-es") == {"helpline-es"}
    assert not set(HELPLINE) & _ids(store, "curation=none")
    listed = select(index, taxonomy, Filters.parse(["curation=best_practice"]))
    assert [(e.document.id, e.document.curation, e.reason) for e in listed] == [
        ("helpline-en", "best_practice", "Reports calls, referrals and an evaluation")]  # once, the English one
    assert select(index, taxonomy)[0].document.id == "helpline-en"  # best practice first

    # the latest status set on any version wins; the history is the contribution's, oldest first
    store.curate("helpline-es", "noted", "Re-read: no evaluation in this edition", "chair")
    assert {curation_of(store, d)["status"] for d in HELPLINE} == {"noted"}
    assert [e["document_id"] for e in curation_of(store, "helpline-en")["history"]] == ["helpline-fr", "helpline-es"]
    assert _ids(store, "curation=best_practice") == set()

    # versions a curator linked share the status too
    store.curate("atelier-fr", "promising", "Trained 420 teachers", "secretariat")
    assert curation_of(store, "workshop-en")["status"] == "promising"
    assert _ids(store, "curation=promising") == set(WORKSHOP)
    counts = {v.value: v.count for v in facet_counts(store)["curation"]}
    assert counts == {"noted": 3, "promising": 2, "none": 1}


def test_the_quality_profile_is_the_most_complete_versions_shown_on_each(index: IndexFolder) -> None:
    store = index.store
    taxonomy = taxonomy_for(store)
    own = {d.id: d for d in store.documents(Filters.parse(["collection=all"]))}
    found = {i: sum(1 for s in store.quality_signals(i) if s["found"]) for i in own}
    shared = contributions(store)
    for group in (HELPLINE, WORKSHOP):
        richest = max(group, key=lambda i: found[i])
        assert found[richest] > max(found[i] for i in group if i != richest)  # the texts differ in what they show
        for doc in group:
            assert shared.quality_from(doc) == richest
            assert shared.record(own[doc]).quality == own[richest].quality
            shown = card(index, taxonomy, doc)
            assert shown["quality"]["document_id"] == richest
            assert shown["quality"]["score"] == own[richest].quality
            assert {s["id"] for s in shown["quality"]["signals"] if s["found"]} == {
                s["id"] for s in store.quality_signals(richest) if s["found"]}
    assert shared.quality_from("workshop-en") == "atelier-fr"  # not always the English one
    assert shared.quality_from("age-checks") == "age-checks"
    # min_quality reads the contribution's score: the thin English workshop note passes with its French version
    floor = min(own["helpline-en"].quality, own["atelier-fr"].quality)
    assert floor > max(own[i].quality for i in ("helpline-fr", "helpline-es", "workshop-en", "age-checks"))
    assert _ids(store, f"min_quality={floor}") == set(HELPLINE) | set(WORKSHOP)
    assert _ids(store, f"min_quality={floor}", "document_id=workshop-en") == {"workshop-en"}
    bands = {v.value: v.count for v in facet_counts(store)["quality_band"]}
    assert sum(bands.values()) == len(own)
    listed = [e.to_json() for e in select(index, taxonomy)]
    assert [e["document_id"] for e in listed][:2] == ["helpline-en", "workshop-en"]  # ordered by the contribution's
    assert {e["document_id"]: e["quality_from"] for e in listed}["workshop-en"] == "atelier-fr"


def test_the_api_shows_one_status_and_one_profile_on_every_version(index: IndexFolder, tmp_path: Path) -> None:
    from api.app import create_app
    from api.settings import Settings

    curator = {"Authorization": "Bearer curator-key-0123456789"}
    settings = Settings(index=tmp_path / "ix", api_keys=("upload-key-0123456789",),
                        curator_keys=("curator-key-0123456789",))
    with TestClient(create_app(settings, index)) as client:
        put = client.put("/documents/helpline-es/curation", headers=curator,
                         json={"status": "best_practice", "reason": "Model helpline", "by": "secretariat"})
        assert put.status_code == 200, put.text
        assert put.json()["status"] == "best_practice"
        assert sorted(v["document_id"] for v in put.json()["versions"]) == ["helpline-en", "helpline-fr"]
        english = client.get("/documents/helpline-en").json()
        spanish = client.get("/documents/helpline-es").json()
        assert english["curation"] == spanish["curation"] == "best_practice"
        assert english["quality"] == spanish["quality"] and spanish["quality_from"] == "helpline-en"
        history = client.get("/documents/helpline-fr/curation").json()
        assert history["status"] == "best_practice"
        assert [e["document_id"] for e in history["history"]] == ["helpline-es"]
        chosen = client.get("/select", params={"curation": "best_practice"}).json()["documents"]
        assert [(d["document_id"], d["curation"], d["quality_from"]) for d in chosen] == [
            ("helpline-en", "best_practice", "helpline-en")]
        listed = client.get("/documents", params={"curation": "best_practice"}).json()
        assert listed["total"] == 3 and {d["curation"] for d in listed["documents"]} == {"best_practice"}
        facets = client.get("/facets", params={"curation": "best_practice"}).json()
        assert facets["documents"] == 3
        hits = client.get("/search", params={"q": "helpline 116 children", "k": 10,
                                             "collection": "all"}).json()["hits"]
        shown = [h for h in hits if h["document_id"] in HELPLINE]
        assert shown and all(h["curation"] == "best_practice" for h in shown)
        assert all(h["quality"] == english["quality"] for h in shown)
        feed = client.get("/feeds/documents.atom", params={"curation": "best_practice"})
        assert feed.status_code == 200 and feed.text.count("<entry>") == 1  # the contribution, once
        card_json = client.get("/documents/workshop-en/card").json()
        assert card_json["quality"]["document_id"] == "atelier-fr"
        floor = client.get("/documents/atelier-fr").json()["quality"]
        kept = client.get("/select", params={"min_quality": floor}).json()["documents"]
        assert [(d["document_id"], d["quality_from"]) for d in kept] == [
            ("helpline-en", "helpline-en"), ("workshop-en", "atelier-fr")]  # the English workshop note: its own
        assert kept[1]["quality"] == floor  # score is below the floor, its contribution's is not


def test_the_cli_shows_one_status_and_one_profile_on_every_version(index: IndexFolder, capsys) -> None:
    import json

    from api.cli import main

    where = index.location  # the folder, or the PostgreSQL database's URI
    index.close()
    assert main(["curate", "atelier-fr", "--status", "promising", "--reason", "Trained 420 teachers",
                 "--index", where]) == 0
    assert "workshop-en" in capsys.readouterr().err  # the status holds for the other version, and it says so
    assert main(["curation", "workshop-en", "--json", "--index", where]) == 0
    history = json.loads(capsys.readouterr().out)["curation"]
    assert [(e["document_id"], e["status"]) for e in history] == [("atelier-fr", "promising")]
    assert main(["card", "workshop-en", "--format", "json", "--index", where]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["curation"]["status"] == "promising" and shown["quality"]["document_id"] == "atelier-fr"
    assert shown["document"]["quality_from"] == "atelier-fr"
    assert main(["select", "--where", "curation=promising", "--format", "json", "--index", where]) == 0
    listed = json.loads(capsys.readouterr().out)["documents"]
    assert [(d["document_id"], d["curation"]) for d in listed] == [("workshop-en", "promising")]
    assert main(["documents", "--where", "curation=promising", "--json", "--index", where]) == 0
    docs = json.loads(capsys.readouterr().out)["documents"]
    assert sorted(d["document_id"] for d in docs) == sorted(WORKSHOP)
    assert len({d["quality"] for d in docs}) == 1


def test_the_sample_corpus_versions_are_curated_and_scored_once(fake_index: IndexFolder, tmp_path: Path) -> None:
    """The sample corpus's two contributions in two languages each (their manifest rows give one symbol per
    contribution): UNICEF's legislative guidance (English PDF, Spanish Markdown) and the Rabat workshops
    (English, French); the real files, read as they come."""
    names = ("unicef-legislative-guidance.pdf", "unicef-guia-legislativa-es.md", "morocco-cop-workshops-rabat.md",
             "maroc-ateliers-protection-en-ligne-fr.md")
    if not all((SAMPLE / n).exists() for n in names):
        pytest.skip("the sample corpus is absent")
    rows = [line for line in (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines()
            if line.startswith("path,") or line.split(",", 1)[0] in names]
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in names:
        (tmp_path / name).write_bytes((SAMPLE / name).read_bytes())
    report = IndexWriter(fake_index).ingest([tmp_path / n for n in names],
                                            read_manifest(tmp_path / "manifest.csv").entries)
    assert not report.failed, report.failed
    store = fake_index.store
    english, spanish = "unicef-legislative-guidance", "unicef-guia-legislativa-es"
    rabat, rabat_fr = "morocco-cop-workshops-rabat", "maroc-ateliers-protection-en-ligne-fr"
    shared = contributions(store)
    assert [v.document_id for v in shared.versions.others(spanish)] == [english]
    assert [v.document_id for v in shared.versions.others(rabat_fr)] == [rabat]
    own = store.documents_by_id([english, spanish, rabat, rabat_fr])
    for a, b in ((english, spanish), (rabat, rabat_fr)):
        source = shared.quality_from(a)
        assert shared.quality_from(b) == source
        assert shared.record(own[a]).quality == shared.record(own[b]).quality == own[source].quality
    # the French workshops text shows fewer of the signals' cues than the English one: it shows the English score
    assert shared.quality_from(rabat_fr) == rabat and own[rabat_fr].quality < own[rabat].quality
    assert {rabat, rabat_fr} <= _ids(store, f"min_quality={own[rabat].quality}")

    store.curate(spanish, "best_practice", "Model provisions, with a checklist", "secretariat")
    assert curation_of(store, english)["status"] == "best_practice"
    assert [e["document_id"] for e in curation_of(store, english)["history"]] == [spanish]
    listed = select(fake_index, taxonomy_for(store), Filters.parse(["curation=best_practice"]))
    assert [e.document.id for e in listed] == [english]


def test_no_versions_no_change(fake_index: IndexFolder, tmp_path: Path) -> None:
    """An index without versions reads every status and score as the store holds them (filters unchanged)."""
    (tmp_path / "a.md").write_text("# A\n\nObjective: a helpline for children.\n", encoding="utf-8")
    assert not IndexWriter(fake_index).ingest([tmp_path / "a.md"]).failed
    store = fake_index.store
    shared = contributions(store)
    asked = Filters.parse(["curation=none", "min_quality=0.1"])
    assert shared.filters(asked, store) is asked and not shared.differs()
    doc = store.document("a")
    assert shared.record(doc) is doc and replace(doc) == shared.record(doc)
