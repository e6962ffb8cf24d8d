"""End to end with the real bundled model, real FAISS and SQLite, on the sample corpus and real PDFs."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter, expand_paths
from search.retrieval.engine import SearchEngine
from search.retrieval.similar import SimilarFinder
from tests.conftest import shared_data

pytestmark = pytest.mark.slow


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_sample_corpus_search_cites_the_right_contribution(real_sample_index: IndexFolder):
    engine = SearchEngine(real_sample_index)
    hits = engine.search("how can platforms verify the age of their users", k=3)
    assert hits[0].source == "euCONSENT"
    hits = engine.search("Lanzarote Convention monitoring committee", k=3)
    assert hits[0].document_id == "council-of-europe-lanzarote" and hits[0].page is not None


def test_sample_pdf_hits_cite_the_page_their_text_is_on(real_sample_index: IndexFolder):
    engine = SearchEngine(real_sample_index)
    hits = engine.search("offences and criminal law", k=20, filters=Filters.parse(["document_id=safe-online-legal-measures"]))
    assert len(hits) >= 3
    record = real_sample_index.store.document("safe-online-legal-measures")
    reader = pypdf.PdfReader(str(real_sample_index.files_dir / record.stored_file))
    pages = [_squash(p.extract_text() or "") for p in reader.pages]
    for hit in hits:
        opening = " ".join(hit.text.split()[:8])
        assert opening in pages[hit.page - 1], (hit.page, opening)


def test_default_index_finds_english_documents_for_a_french_query(tmp_path: Path):
    from ingest.metadata import read_manifest
    from tests.conftest import SAMPLE

    folder = IndexFolder.open(tmp_path / "ml", create=True)  # the default index crosses languages
    try:
        names = ["euconsent-age-assurance.md", "malawi-training-of-trainers.txt", "roblox-safety-and-civility.md",
                 "canada-combating-child-sexual-exploitation.md", "italy-digital-literacy-child-protection.md"]
        entries = read_manifest(SAMPLE / "manifest.csv").entries
        report = IndexWriter(folder).ingest([SAMPLE / n for n in names], entries)
        assert not report.failed
        hits = SearchEngine(folder).search("vérification de l'âge des utilisateurs en ligne", k=1)
        assert hits[0].document_id == "euconsent-age-assurance"
        hits = SearchEngine(folder).search("formation des enseignants", k=1)
        assert hits[0].document_id == "malawi-training-of-trainers"
    finally:
        folder.close()


def test_similar_initiatives_come_from_other_sources(real_sample_index: IndexFolder):
    results = SimilarFinder(real_sample_index).similar(document_id="unicef-legislative-guidance", k=5)
    assert len(results) == 5 and all(r.source != "UNICEF" for r in results)
    store = real_sample_index.store
    for r in results:
        assert r.passage.text == store.document_text(r.document_id)[r.passage.char_start:r.passage.char_end]
        assert r.matched.document_id == "unicef-legislative-guidance"
    legal = {"ecpat-legislation-for-children-online", "safe-online-legal-measures", "5rights-global-legislation-safety-by-design",
             "icmec-csam-model-legislation", "swgfl-legal-measures-end-to-end-encryption",
             "stiftung-digitale-chancen-csa-regulation", "council-of-europe-lanzarote"}
    assert legal & {r.document_id for r in results[:3]}


def test_indian_child_sexual_abuse_law_is_cited_with_correct_pages(tmp_path: Path):
    folder_path = shared_data("policy_pdfs", "child_protection")
    files, _ = expand_paths([folder_path])
    folder = IndexFolder.open(tmp_path / "ix", create=True)
    try:
        report = IndexWriter(folder).ingest(files)
        assert len(report.added) == len(files) == 6 and not report.failed
        hits = SearchEngine(folder).search("implementation of the law on child sexual abuse in India (POCSO Act)", k=5)
        indian = {"haq-cdl-analysing-implementation-of-pocso-act-2020",
                  "haq-cdl-pocso-law-implementation-tracker-interim-report-2020",
                  "supreme-court-india-smw-crl-04-2019-child-sexual-abuse"}
        assert hits[0].document_id in indian and sum(h.document_id in indian for h in hits) >= 4
        for hit in hits:
            source = folder_path / Path(folder.store.document(hit.document_id).path).name
            page_text = _squash(pypdf.PdfReader(str(source)).pages[hit.page - 1].extract_text() or "")
            assert " ".join(hit.text.split()[:6]) in page_text, (hit.document_id, hit.page)
    finally:
        folder.close()
