"""Initiative records of contributions in Arabic, Chinese and Russian (issue 24): the 21st meeting's real
contributions (bench/corpus/cwg-cop-21) indexed with the bundled models. The label phrases are English, French and
Spanish and MiniLM reads English only, so these gave no record at all before; they are now scored in the
multilingual space, with cues, stated kinds, status wording and quoted names of their own languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.metadata import read_manifest
from search.characterization.initiative_names import cue_count, kind_stated_in, names_in
from search.characterization.initiative_status import STATUSES, read_status, sentence_spans
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
COP21 = ROOT / "bench" / "corpus" / "cwg-cop-21"
FILES = {"oman-hamlat-wai-raqmi-ar": "oman-hamlat-wai-raqmi-ar.md",
         "kazakhstan-popravki-kiberbulling-ru": "kazakhstan-popravki-kiberbulling-ru.txt",
         "china-weichengnianren-moshi-zh": "china-weichengnianren-moshi-zh.md"}
pytestmark = pytest.mark.skipif(not COP21.is_dir(), reason="bench/corpus/cwg-cop-21 is absent")


def _text(name: str) -> str:
    return (COP21 / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cop21_index(tmp_path_factory: pytest.TempPathFactory):
    """The three contributions, with the default models (MiniLM and the multilingual USE)."""
    folder = IndexFolder.open(tmp_path_factory.mktemp("cop21") / "ix", create=True)
    files = [COP21 / name for name in FILES.values()]
    report = IndexWriter(folder).ingest(files, read_manifest(COP21 / "manifest.csv").entries)
    assert not report.failed, report.failed
    folder.refresh_vectors()
    yield folder
    folder.close()


def test_arabic_chinese_russian_contributions_give_records(cop21_index: IndexFolder):
    assert "use" in cop21_index.spaces
    taxonomy = load_taxonomy()
    found = Tagger(cop21_index, taxonomy).initiatives()
    by_doc = {i.document_id: i for i in found}
    assert set(by_doc) == set(FILES)  # each describes an initiative (before: none of the three)
    kinds = {lb.id for lb in taxonomy.facets["initiative_type"].labels}
    audiences = {lb.id for lb in taxonomy.facets["audience"].labels}
    for item in found:
        assert item.initiative_type in kinds and item.status in STATUSES
        assert item.audience and set(item.audience) <= audiences
        text = cop21_index.store.document_text(item.document_id)
        assert {"initiative_type", "status", "audience"} <= set(item.evidence)
        for evidence in item.evidence.values():  # every field's evidence is an exact slice of the text
            assert evidence.text and text[evidence.char_start:evidence.char_end] == evidence.text
    oman, kazakhstan, china = (by_doc[d] for d in FILES)
    # Oman: the national campaign "وعيك الرقمي حصنك" (its title says campaign: الحملة الوطنية), launched and running
    assert oman.initiative_type == "awareness_campaign" and oman.name == "وعيك الرقمي حصنك"
    assert oman.status == "running" and oman.year == 2025
    # Kazakhstan: amendments to its laws, a bill now before parliament (законопроект … на рассмотрении)
    assert kazakhstan.initiative_type == "law_regulation" and kazakhstan.status == "planned"
    assert "законопроект" in kazakhstan.evidence["status"].text
    # China: the "minor mode" of mobile apps and devices, named in quotes
    assert china.name == "未成年人模式"


def test_cues_kinds_and_names_in_their_own_words():
    """Real sentences of the three contributions: cues without word boundaries in Arabic and Chinese, Russian by
    stems; the kind a title states; a quoted name in a script without capitals."""
    oman, kazakhstan, china = (_text(name) for name in FILES.values())
    oman_title, kazakhstan_title = oman.split("\n")[0], kazakhstan.split("\n")[0]
    assert kind_stated_in(oman_title) == "awareness_campaign"  # الحملة الوطنية: the national campaign
    assert kind_stated_in(kazakhstan_title) == "law_regulation"  # О совершенствовании законодательства
    assert cue_count(oman_title) >= 1 and cue_count("Законопроектом, в частности, предусматривается") >= 1
    assert cue_count("持续推进移动互联网未成年人模式建设") >= 1
    assert [n for n, _, _ in names_in(oman_title)] == ["وعيك الرقمي حصنك"]
    line = next(x for x in china.splitlines() if "在此基础上" in x)
    named = names_in(line)
    assert "未成年人模式" in [n for n, _, _ in named]
    for name, start, end in named:
        assert line[start:end] == name


def test_status_and_sentences_in_russian_and_chinese():
    kazakhstan = _text(FILES["kazakhstan-popravki-kiberbulling-ru"])
    passage = next(p for p in kazakhstan.split("\n\n") if "находится на рассмотрении" in p)
    anchors = [(0, m.start(), m.end()) for m in re.finditer("законопроект", passage, re.I)]
    assert read_status([passage], anchors).status == "planned"  # a bill before parliament
    china = _text(FILES["china-weichengnianren-moshi-zh"])
    line = next(x for x in china.splitlines() if "于2024年1月1日起施行" in x)
    spans = sentence_spans(line)
    assert len(spans) >= 2  # Chinese ends sentences with "。" and no space
    assert all("。" not in line[s:e].rstrip("。") for s, e in spans)
