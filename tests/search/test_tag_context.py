"""Tags right on long reports (issue 24): a long report is about a child-protection theme where it speaks of
children, not because its chapter on law says "legislation"; a short contribution gets the kind its initiative
record names."""

from __future__ import annotations

from pathlib import Path

from index.folder import IndexFolder
from index.writer import IndexWriter
from search.characterization.initiative_extraction import SHORT_DOCUMENT
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy

LAW = ("The national strategy on artificial intelligence calls for legislation, a legal framework and law reform "
       "so that models are safe, courts can prosecute offenders and regulators audit algorithms in industry. ")
CHILDREN = ("Children and young people need legislation that protects children online from sexual abuse material; "
            "the law must criminalise grooming of children. ")


def _report(path: Path, sentence: str) -> None:
    sections = [f"## Chapter {i}\n\n" + (sentence * 12) + f"Paragraph {i} ends here." for i in range(14)]
    path.write_text("# A national report\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")


def test_long_report_needs_children_for_child_protection_themes(fake_index: IndexFolder, tmp_path: Path):
    _report(tmp_path / "strategy.md", LAW)
    _report(tmp_path / "protection.md", CHILDREN)
    assert not IndexWriter(fake_index).ingest([tmp_path / "strategy.md", tmp_path / "protection.md"]).failed
    store = fake_index.store
    assert min(len(store.chunks_of(d)) for d in ("strategy", "protection")) > SHORT_DOCUMENT
    Tagger(fake_index, load_taxonomy()).tag()
    labels = store.labels_of(["strategy", "protection"])
    assert ("theme", "legal_frameworks") in labels["protection"]
    assert not {lb for lb in labels["strategy"] if lb[0] in ("theme", "risk")}  # an AI strategy: no COP theme
