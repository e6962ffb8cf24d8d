"""Similar initiatives: what a document does, one result per source, the shared element named."""

from __future__ import annotations

from pathlib import Path

from index.folder import IndexFolder
from index.records import DocumentRecord
from index.writer import IndexWriter
from search.retrieval.similar import SimilarFinder, is_boilerplate, shared_words


def _doc(source: str) -> DocumentRecord:
    return DocumentRecord(id="d", path="p", file_name="f", file_hash="h", stored_file=None, format="text", title="t",
                          source=source, doc_type="information", actor_type="civil_society", language="en",
                          pages=None, warnings=[], entry={}, added_at="")


def test_boilerplate_openings_and_cover_lines() -> None:
    doc = _doc("Malawi")
    assert is_boilerplate("The information document from Malawi highlighted a training programme.", doc)
    assert is_boilerplate("Malawi presented its national programme to the group.", doc)
    assert is_boilerplate("Document CWG-COP/20/INF/7", doc)
    assert not is_boilerplate("Teachers in 12 districts were trained to explain grooming to pupils.", doc)


def test_shared_words_are_the_content_words_of_both_passages() -> None:
    words = shared_words("Teachers were trained to recognise grooming and report it.",
                         "A programme training teachers to report grooming to the police and to recognise signs.")
    assert words == ["training", "teachers", "report", "grooming", "recognise"]


def test_one_result_per_source_with_its_other_documents_listed(fake_index: IndexFolder, tmp_path: Path) -> None:
    texts = {"q.md": ("Malawi", "Teachers are trained to teach pupils about grooming and online safety."),
             "a1.md": ("Kenya", "Kenya trains teachers to teach pupils about grooming and online safety."),
             "a2.md": ("Kenya", "Kenya trains school teachers on grooming and online safety for pupils."),
             "b.md": ("Ghana", "Ghana trains teachers on grooming and pupils' online safety at school."),
             "c.md": ("Peru", "A tax on imported steel and the customs tariff schedule.")}
    files, entries = [], {}
    for name, (source, text) in texts.items():
        (tmp_path / name).write_text(f"# {source}\n\n{text}\n")
        files.append(tmp_path / name)
        entries[(tmp_path / name).resolve()] = {"source": source, "country": source}
    assert not IndexWriter(fake_index).ingest(files, entries).failed
    fake_index.refresh_vectors()
    results = SimilarFinder(fake_index).similar(document_id="q", k=5)
    sources = [r.source for r in results]
    assert len(sources) == len(set(sources)) and "Malawi" not in sources
    kenya = next(r for r in results if r.source == "Kenya")
    assert len(kenya.also) == 1 and kenya.also[0]["document_id"] in ("a1", "a2")
    assert sources.index("Peru") == len(sources) - 1  # the unrelated one comes last
    assert "teachers" in [w.lower() for w in kenya.shared] and kenya.to_json()["shared"] == kenya.shared


def test_labelled_pairs_on_the_real_sample(tagged_sample_index: IndexFolder) -> None:
    """The hand-labelled similar pairs among the sample documents (bench/labels/similar_pairs.jsonl, both
    splits): most partners are in each other's top 5; the matched element is what the query document
    says, never its opening about who presented it; each result names what the two share."""
    import json

    from tests.conftest import ROOT

    ids = {d.id for d in tagged_sample_index.store.documents()}
    rows = [json.loads(line) for line in (ROOT / "bench" / "labels" / "similar_pairs.jsonl").read_text().splitlines()]
    pairs = [(r["a"], r["b"]) for r in rows if r["a"] in ids and r["b"] in ids]
    assert len(pairs) >= 15
    finder = SimilarFinder(tagged_sample_index)
    found, named = [], []
    for a, b in pairs + [(b, a) for a, b in pairs]:
        results = finder.similar(document_id=a, k=5)
        found.append(b in [r.document_id for r in results])
        for r in results:
            assert not is_boilerplate(r.matched.text, tagged_sample_index.store.document(a)), r.matched.text
            named.append(bool(r.shared))
    assert sum(found) / len(found) >= 0.6, sum(found) / len(found)
    assert sum(named) / len(named) >= 0.8, sum(named) / len(named)


def test_a_prepared_document_is_never_encoded_again(fake_index: IndexFolder, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`prepare` (run by `cwg serve` in the background) encodes the sentences of the short documents once;
    a later finder, in this process or another, reads them from the cache beside the store."""
    texts = {"q.md": "Teachers are trained to teach pupils about grooming. They report what they see to the police.",
             "k.md": "Kenya trains teachers to teach pupils about grooming and online safety in every school.",
             "g.md": "Ghana runs a helpline where children can report abuse at any hour of the day or night."}
    files = []
    for name, text in texts.items():
        (tmp_path / name).write_text(f"# {name[0].upper()}\n\n{text}\n")
        files.append(tmp_path / name)
    entries = {f.resolve(): {"source": f.stem, "country": ""} for f in files}
    assert not IndexWriter(fake_index).ingest(files, entries).failed
    fake_index.refresh_vectors()
    before = SimilarFinder(fake_index).similar(document_id="q", k=5)
    assert SimilarFinder(fake_index).prepare() == 3
    embedder = fake_index.embedder("minilm")
    calls: list[list[str]] = []
    original = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda texts, *a, **k: calls.append(list(texts)) or original(texts, *a, **k))
    after = SimilarFinder(fake_index).similar(document_id="q", k=5)
    assert calls == []
    assert [(r.document_id, r.score, r.matched.text) for r in after] == \
        [(r.document_id, r.score, r.matched.text) for r in before]


def test_a_finder_sees_documents_added_and_removed_after_its_first_answer(fake_index: IndexFolder,
                                                                           tmp_path: Path) -> None:
    """The candidates' centroids are kept per version of the vectors and generation of the store: a later
    write is seen by the same finder (a serving process), and a filter still narrows the candidates."""
    def add(name: str, source: str, text: str) -> None:
        (tmp_path / name).write_text(f"# {source}\n\n{text}\n")
        entry = {(tmp_path / name).resolve(): {"source": source, "country": source}}
        assert not IndexWriter(fake_index).ingest([tmp_path / name], entry).failed
        fake_index.refresh_vectors()

    add("q.md", "Malawi", "Teachers are trained to teach pupils about grooming and online safety.")
    add("a.md", "Kenya", "Kenya trains teachers to teach pupils about grooming and online safety.")
    finder = SimilarFinder(fake_index)
    assert [r.source for r in finder.similar(document_id="q", k=5)] == ["Kenya"]
    add("b.md", "Ghana", "Ghana trains teachers on grooming and pupils' online safety at school.")
    assert sorted(r.source for r in finder.similar(document_id="q", k=5)) == ["Ghana", "Kenya"]
    from index.filters import Filters

    only_ghana = Filters(fields={"country": ["Ghana"]})
    assert [r.source for r in finder.similar(document_id="q", k=5, filters=only_ghana)] == ["Ghana"]
    IndexWriter(fake_index).remove("a")
    fake_index.refresh_vectors()
    assert [r.source for r in finder.similar(document_id="q", k=5)] == ["Ghana"]


def test_a_spanish_contribution_finds_what_its_english_version_finds(real_sample_index: IndexFolder) -> None:
    """Across languages (the bundled models): UNICEF's guide in Spanish is compared with the English contributions
    in the multilingual space, its scores mapped onto MiniLM's. It finds most of what its English version finds
    (with MiniLM alone it found nothing: every English document scored under the floor), and never UNICEF's own
    documents (its English version is the same contribution)."""
    finder = SimilarFinder(real_sample_index)
    spanish = finder.similar(document_id="unicef-guia-legislativa-es", k=5)
    english = finder.similar(document_id="unicef-legislative-guidance", k=5)
    assert len(spanish) == 5 and all(r.source != "UNICEF" for r in spanish)
    shared = {r.document_id for r in spanish} & {r.document_id for r in english}
    assert len(shared) >= 3, ([r.document_id for r in spanish], [r.document_id for r in english])
    assert all(real_sample_index.store.document(r.document_id).language == "en" for r in spanish)
    french = finder.similar(document_id="maroc-ateliers-protection-en-ligne-fr", k=5)
    assert french and all(r.source != "Morocco" for r in french)


def test_like_one_initiative_or_one_passage(tagged_sample_index: IndexFolder) -> None:
    """`similar` from one initiative record or one passage (issue 24), on the real sample: Bahrain's SafeSurf
    outreach passage (school roadshows, a television commercial, workshops) finds Egypt's awareness programme
    (a labelled pair, bench/labels/similar_pairs.jsonl p-12); each initiative of a document is its own query, and
    every result explains itself by that initiative; ids name one record each."""
    import pytest

    from ingest.errors import NotFound, QueryError
    from search.characterization.initiatives import stored_initiatives

    store = tagged_sample_index.store
    finder = SimilarFinder(tagged_sample_index)
    records = stored_initiatives(store)
    assert len({i.id for i in records}) == len(records)
    safesurf = [i for i in records if i.document_id == "bahrain-safesurf"]
    assert safesurf
    for record in safesurf:
        results = finder.similar(initiative_id=record.id, k=5)
        assert results and all(r.source != "Bahrain" for r in results)
        assert all(r.why["matched_initiative"]["id"] == record.id for r in results if r.why)  # type: ignore[index]
        assert all(r.matched.chunk_id in record.chunk_ids for r in results)
    outreach = next(c for c in store.chunks_of("bahrain-safesurf") if "roadshows" in c.text)
    results = finder.similar(chunk_id=outreach.id, k=5)
    assert "egypt-digital-citizenship-initiative" in [r.document_id for r in results]
    for r in results:
        assert r.source != "Bahrain" and r.matched.chunk_id == outreach.id
        assert r.matched.text in outreach.text
    with pytest.raises(NotFound):
        finder.similar(chunk_id=10**12)
    with pytest.raises(NotFound):
        finder.similar(initiative_id="bahrain-safesurf~nothing")
    with pytest.raises(QueryError):
        finder.similar(chunk_id=outreach.id, document_id="bahrain-safesurf")
