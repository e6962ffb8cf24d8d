"""Synthesis on the real sample index with the real model: every cited sentence is inside its passage,
every passage is inside its document; DOCX/HTML/Markdown render and resolve their citations; the
optional LLM rewrite drops what its citations do not support; the matrix counts labelled documents."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from index.filters import Filters
from ingest.countries import REGIONS
from search.characterization.matrix import build_matrix, render_matrix
from search.characterization.taxonomy import load_taxonomy
from search.synthesis.model import CitedSentence, Synthesis
from search.synthesis.pipeline import Synthesizer
from search.synthesis.render import render_html, render_markdown
from search.synthesis.render_docx import render_docx
from search.synthesis.rewrite import LlmSettings, rewrite_synthesis

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def age_assurance(tagged_sample_index) -> Synthesis:
    return Synthesizer(tagged_sample_index, load_taxonomy()).synthesize("age assurance")


def _all_sentences(s: Synthesis) -> list[CitedSentence]:
    return [c for sub in s.subthemes for c in sub.summary] + \
           [it.sentence for sub in s.subthemes for it in sub.initiatives]


def assert_citations_hold(s: Synthesis, folder) -> None:  # type: ignore[no-untyped-def]
    store = folder.store
    for n, citation in enumerate(s.citations, start=1):
        assert citation.number == n
        chunk = store.chunks_by_id([citation.chunk_id])[citation.chunk_id]
        assert chunk.document_id == citation.document_id and chunk.text == citation.passage
        assert store.document_text(citation.document_id)[citation.char_start:citation.char_end] == citation.passage
        doc = store.document(citation.document_id)
        assert (doc.title, doc.source, chunk.page_start) == (citation.title, citation.source, citation.page)
    for sentence in _all_sentences(s):
        passage = s.citation(sentence.citation).passage
        assert passage[sentence.start:sentence.end] == sentence.text  # the exact words of the passage
        assert sentence.text in passage and len(sentence.text.split()) >= 6


def test_age_assurance_synthesis_is_grounded_and_spans_sources(age_assurance, tagged_sample_index):
    s = age_assurance
    assert s.label == "risk=age_assurance"
    assert_citations_hold(s, tagged_sample_index)
    cited_sources = {c.source for c in s.citations}
    assert len(cited_sources) >= 3, cited_sources
    assert "euCONSENT" in cited_sources
    assert 2 <= len(s.subthemes) <= 5
    for sub in s.subthemes:
        assert sub.key_phrases and sub.summary
        assert len({it.source for it in sub.initiatives}) == len(sub.initiatives)  # one line per source
    assert "euconsent-age-assurance" in s.documents
    assert sum(sum(counts) for counts in s.overview.values()) >= sum(len(sub.summary) for sub in s.subthemes)
    # the summaries are about the topic: most quoted sentences name it or its phrases
    about = [c for sub in s.subthemes for c in sub.summary if re.search(r"\bage", c.text, re.IGNORECASE)]
    assert len(about) >= len([c for sub in s.subthemes for c in sub.summary]) // 2


def test_gaps_are_counted_over_the_index_not_over_the_quotes(age_assurance, tagged_sample_index):
    s = age_assurance
    store = tagged_sample_index.store
    assert s.tagged
    assert set(REGIONS) <= set(s.regions)
    # the documents on the topic: those carrying its label (and those cited), counted by hand here
    on_topic = {d.id for d in store.documents(Filters(fields={"risk": ["age_assurance"]}))} | set(s.documents)
    assert s.topic_documents == len(on_topic) > len({c.document_id for c in s.citations}) - 1
    everything = store.documents()
    regions_in_index = {d.region for d in everything if d.region}
    assert s.absent_regions == [r for r in REGIONS if r not in regions_in_index]  # said once, apart
    assert "CIS" in s.absent_regions and not any(g.label == "CIS" for g in s.region_gaps)
    for gap in s.region_gaps:
        assert gap.in_index == sum(1 for d in everything if d.region == gap.label) > 0
        assert gap.documents == sum(1 for d in everything if d.id in on_topic and d.region == gap.label) <= 1
    assert s.label_gaps and not any(g.facet == "risk" and g.label == "age_assurance" for g in s.label_gaps)
    for gap in s.label_gaps:
        carrying = {d.id for d in store.documents(Filters(fields={gap.facet: [gap.label]}))}
        assert (gap.documents, gap.of, gap.in_index) == (len(carrying & on_topic), len(on_topic), len(carrying))
        assert gap.documents <= 1
    for gap in s.actor_gaps:
        assert gap.in_index == sum(1 for d in everything if d.actor_type == gap.label)


def test_each_subtheme_reads_as_a_draft(age_assurance):
    from search.synthesis.sentences import dangling_start, is_fragment

    s = age_assurance
    for sub in s.subthemes:
        assert sub.title and " · " not in sub.title and sub.title[0].isupper()
        assert sub.lead and sub.facts
        quoted: dict[int, list[str]] = {c.number: [] for c in s.citations}
        for sentence in [*sub.summary, *(it.sentence for it in sub.initiatives)]:
            quoted[sentence.citation].append(sentence.text)
        for fact in sub.facts:  # every fact of the lead is in it with its citation, and traceable
            assert f"{fact.text} [{fact.citation}]" in sub.lead or f"{fact.text}” [{fact.citation}]" in sub.lead
            if fact.kind == "source":
                assert fact.text in {s.citation(n).source or s.citation(n).title for n in quoted if quoted[n]}
            else:
                assert any(t[fact.start:fact.end] == fact.text for t in quoted[fact.citation])
    titles = [sub.title for sub in s.subthemes]
    assert len(set(titles)) == len(titles)
    for sentence in _all_sentences(s):
        assert dangling_start(sentence.text) is None and not is_fragment(sentence.text), sentence.text
    data = json.loads(json.dumps(s.to_json()))
    assert all(sub["title"] and sub["lead"] and sub["summary"] for sub in data["subthemes"])


def test_docx_opens_and_every_marker_resolves(age_assurance, tmp_path: Path):
    from docx import Document

    path = tmp_path / "x.docx"
    path.write_bytes(render_docx(age_assurance))
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]
    assert {"Overview", "Gaps", "References"} <= set(headings)
    markers = {int(r.text.strip("[]")) for p in doc.paragraphs for r in p.runs if r.font.superscript}
    start = texts.index("References")
    references = {int(m.group(1)) for t in texts[start + 1:] if (m := re.match(r"\[(\d+)\]", t))}
    assert markers and markers <= references and references == set(range(1, len(age_assurance.citations) + 1))
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == len(age_assurance.overview) + 1
    for sentence in _all_sentences(age_assurance):
        assert any(sentence.text in t for t in texts)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.ids.update(v for k, v in attrs if k == "id" and v)


def test_html_is_one_self_contained_escaped_file(age_assurance):
    page = render_html(age_assurance)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert not [v for k, v in parser.attrs if k in ("src", "href") and v and not v.startswith("#")]
    anchors = {v[1:] for k, v in parser.attrs if k == "href" and v}
    assert anchors and anchors <= parser.ids  # every citation link lands on a reference
    hostile = Synthesis(topic="<script>alert(1)</script>", label=None, label_name=None, queries=[], filters={},
                        created_at="now", notes=["<img src=x onerror=alert(1)>"])
    escaped = render_html(hostile)
    assert "<script>" not in escaped and "<img" not in escaped and "&lt;script&gt;" in escaped


def test_markdown_has_every_section_and_citation(age_assurance):
    text = render_markdown(age_assurance)
    for heading in ("# Thematic synthesis: Age assurance", "## Overview", "## Gaps", "## References"):
        assert heading in text
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert cited == set(range(1, len(age_assurance.citations) + 1))


def test_free_text_topic_filters_and_an_absent_topic(tagged_sample_index):
    synthesizer = Synthesizer(tagged_sample_index, load_taxonomy())
    arab = synthesizer.synthesize("cyberbullying in schools", Filters.parse(["region=Arab States"]))
    assert arab.label is None and arab.citations
    assert_citations_hold(arab, tagged_sample_index)
    regions = {tagged_sample_index.store.document(d).region for d in arab.documents}
    assert regions == {"Arab States"}
    nothing = synthesizer.synthesize("zqxv wptk")
    assert not nothing.subthemes and nothing.notes
    assert "No passage" in render_markdown(nothing) and render_docx(nothing)[:2] == b"PK"


def test_a_label_filter_restricts_the_synthesis(tagged_sample_index):
    s = Synthesizer(tagged_sample_index, load_taxonomy()).synthesize(
        "legal frameworks", Filters.parse(["audience=law_enforcement"]))
    labelled = {d.id for d in tagged_sample_index.store.documents(Filters.parse(["audience=law_enforcement"]))}
    assert s.documents and set(s.documents) <= labelled
    assert_citations_hold(s, tagged_sample_index)


# --- the optional rewrite, against a fake OpenAI-compatible server on 127.0.0.1 ---------------------------
FABRICATED = "The Council decided to ban smartphones for every child under sixteen from 2025."


class _FakeLlm(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeLlm.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        first = body["messages"][1]["content"].splitlines()[0]  # "[n] sentence"
        number, quote = re.match(r"\[(\d+)\] (.*)", first).groups()
        sentence = re.split(r"(?<=[.;!?])\s+", quote)[0]  # a quote may hold a sentence with its antecedent
        reply = f"In short, {sentence.rstrip('.;')} [{number}]. {FABRICATED} [{number}]"
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def fake_llm():
    server = HTTPServer(("127.0.0.1", 0), _FakeLlm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeLlm.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_rewrite_keeps_supported_sentences_and_drops_fabrication(age_assurance, tagged_sample_index, fake_llm):
    s = copy.deepcopy(age_assurance)
    embedder = tagged_sample_index.embedder("minilm")
    rewrite_synthesis(s, embedder, LlmSettings(fake_llm, "fake-model", key="sekret"))
    assert _FakeLlm.requests and _FakeLlm.requests[0]["path"] == "/v1/chat/completions"
    assert _FakeLlm.requests[0]["auth"] == "Bearer sekret" and _FakeLlm.requests[0]["body"]["model"] == "fake-model"
    for sub in s.subthemes:
        assert sub.prose is not None and len(sub.prose) == 1
        kept = sub.prose[0]
        assert kept.rewritten and kept.text.startswith("In short") and kept.support >= 0.75
        assert kept.citation == sub.summary[0].citation
        assert FABRICATED.rstrip(".") not in kept.text
    flags = [f for f in s.rewrite_flags if FABRICATED.rstrip(".") in f.text]
    assert len(flags) == len(s.subthemes) and all("not supported" in f.reason for f in flags)
    text = render_markdown(s)
    assert "Dropped by the citation check" in text and "In short" in text


def test_matrix_counts_labelled_documents(tagged_sample_index):
    from search.retrieval.versions import versions

    store = tagged_sample_index.store
    taxonomy = load_taxonomy()
    matrix = build_matrix(store, "country", "theme", taxonomy=taxonomy, member_states_only=False)
    # a contribution in two languages is counted once (search/retrieval/versions.py)
    counted = versions(store).once_ids(d.id for d in store.documents())
    assert len(counted) == len(store.documents()) - 2  # UNICEF's guidance and the Rabat workshops
    labelled = sum(facet == "theme" for labels in store.labels_of(sorted(counted)).values() for facet, _ in labels)
    assert sum(sum(row) for row in matrix.counts()) == labelled
    assert matrix.cols == [label.id for label in taxonomy.facets["theme"].labels]
    assert sum(matrix.row_documents.values()) == len(counted)
    philippines = matrix.cells[("Philippines", "legal_frameworks")]
    assert "philippines-cop-initiatives" in philippines
    rows = list(csv.DictReader(io.StringIO(render_matrix(matrix, "csv"))))
    by_country = {r["country"]: r for r in rows}
    assert int(by_country["Philippines"]["legal_frameworks"]) == len(philippines)
    assert by_country["Philippines"]["legal_frameworks_ids"].split() == philippines
    data = json.loads(render_matrix(build_matrix(store, "region", "risk"), "json"))
    assert data["rows_field"] == "region" and all(c["count"] == len(c["document_ids"]) for c in data["cells"])
    assert "| country | docs |" in render_matrix(matrix, "md")


# --- the command line ------------------------------------------------------------------------------------
def test_cli_tag_matrix_and_synthesize(tagged_sample_index, tmp_path: Path, capsys):
    from docx import Document

    from api.cli import main

    index = str(tagged_sample_index.path)
    assert main(["tag", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "tagged 33 documents" in out and "risk: grooming" in out
    assert main(["matrix", "--index", index, "--rows", "region", "--cols", "audience", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["region"] for r in rows} >= {"Africa", "Arab States", "(none)"}
    assert main(["synthesize", "age assurance", "--index", index, "--format", "docx", "--out", "x.docx"]) == 0
    doc = Document("x.docx")
    assert any(p.text == "References" for p in doc.paragraphs)
    assert main(["synthesize", "age assurance", "--index", index, "--format", "docx"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["synthesize", "age assurance", "--index", index, "--rewrite"]) == 2
    assert "CWG_LLM_URL" in capsys.readouterr().err
    assert main(["synthesize", "privacy", "--index", index, "--where", "colour=blue"]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("facets: {}\n")
    assert main(["tag", "--index", index, "--taxonomy", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err


# --- the HTTP API ----------------------------------------------------------------------------------------
def test_post_synthesize_returns_json_and_files(tagged_sample_index):
    from docx import Document
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(index=tagged_sample_index.path), tagged_sample_index)
    with TestClient(app) as client:
        response = client.post("/synthesize", json={"topic": "age_assurance"})
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["label"] == "risk=age_assurance" and len({c["source"] for c in data["citations"]}) >= 3
        assert data["topic_documents"] >= len(data["documents"]) and "absent_regions" in data
        for sub in data["subthemes"]:
            assert sub["title"] and sub["lead"] and sub["facts"] and sub["title_from"]
            assert all(f"[{fact['citation']}]" in sub["lead"] for fact in sub["facts"])
            for sentence in sub["summary"]:
                passage = data["citations"][sentence["citation"] - 1]["passage"]
                assert passage[sentence["start"]:sentence["end"]] == sentence["text"]
        docx = client.post("/synthesize", json={"topic": "age assurance", "format": "docx"})
        assert docx.status_code == 200 and docx.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        assert 'filename="synthesis-age-assurance.docx"' in docx.headers["content-disposition"]
        assert any(p.text == "References" for p in Document(io.BytesIO(docx.content)).paragraphs)
        html_page = client.post("/synthesize", json={"topic": "cyberbullying", "format": "html",
                                                     "filters": {"region": ["Arab States"]}})
        assert html_page.status_code == 200 and html_page.text.startswith("<!DOCTYPE html>")
        markdown = client.post("/synthesize", json={"topic": "helplines", "format": "md", "rewrite": True})
        assert markdown.status_code == 200 and "no language-model endpoint" in markdown.text
        for bad in ({"topic": ""}, {"topic": "x", "format": "pdf"}, {"topic": "x", "subthemes": True},
                    {"topic": "x", "rewrite": "yes"}, {"topic": "x", "filters": {"colour": ["blue"]}}, {}):
            refused = client.post("/synthesize", json=bad)
            assert refused.status_code == 422 and "detail" in refused.json(), bad
        page = client.get("/")
        assert 'id="synthesize"' in page.text and "/static/synthesize.js" in page.text
        assert client.get("/static/synthesize.js").status_code == 200


# --- real files from ../shared/data/policy_pdfs ----------------------------------------------------------
def test_tag_matrix_and_synthesis_on_real_policy_pdfs(real_sample_index, tmp_path: Path):
    from index.folder import IndexFolder
    from index.writer import IndexWriter
    from search.characterization.tagging import Tagger
    from tests.conftest import shared_data

    pdfs = shared_data("policy_pdfs")
    files = [pdfs / "multilingual_child_online_safety" / f"en__{name}.pdf"
             for name in ("online_code_of_behaviour_for_young_people", "parent_guide_supporting_online_coding_session",
                          "safeguarding_code_of_behaviour_for_volunteers")]
    files.append(pdfs / "child_protection" / "supreme_court_india_smw_crl_04_2019_child_sexual_abuse.pdf")
    folder = IndexFolder.open(tmp_path / "ix", create=True,
                              embedders={"minilm": real_sample_index.embedder("minilm")})
    try:
        report = IndexWriter(folder).ingest(files)
        assert not report.failed, report.failed
        folder.refresh_vectors()
        tag_report = Tagger(folder, load_taxonomy()).tag()
        assert tag_report.documents == 4 and tag_report.assigned
        court = "supreme-court-india-smw-crl-04-2019-child-sexual-abuse"
        court_labels = {(a.facet, a.label) for a in tag_report.assigned if a.document_id == court}
        assert ("theme", "legal_frameworks") in court_labels and ("audience", "law_enforcement") in court_labels
        matrix = build_matrix(folder.store, "source", "audience", taxonomy=load_taxonomy())
        assert sum(matrix.row_documents.values()) == 4
        s = Synthesizer(folder, load_taxonomy()).synthesize("safeguarding children during online sessions")
        assert s.citations and {c.page for c in s.citations} - {None}  # PDF passages cite pages
        assert_citations_hold(s, folder)
        render_docx(s)
    finally:
        folder.close()
