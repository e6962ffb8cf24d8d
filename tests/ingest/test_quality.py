"""The quality profile reads structure (issue 23): headings, labels, questions and the template's own words are
never evidence; the text under a heading is read with it; the same draft scores the same in every format."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.prepare import prepare_document
from ingest.quality import assess, load_signals
from tests.conftest import SAMPLE
from tests.ingest.drafts import draft_files


def _score(path: Path) -> float:
    quality = prepare_document(path).quality
    assert quality is not None
    return quality.score


def test_the_blank_template_is_no_evidence(tmp_path: Path):
    """Its headings are the signals' names, its hints their words: as Markdown and as DOCX it shows nothing
    (it scored 0.62 before, above every real contribution)."""
    from search.characterization.render_repository import template_docx, template_markdown

    (tmp_path / "template.md").write_text(template_markdown(load_signals()), encoding="utf-8")
    (tmp_path / "template.docx").write_bytes(template_docx(load_signals()))
    assert _score(tmp_path / "template.md") <= 0.1
    assert _score(tmp_path / "template.docx") <= 0.1


def test_the_same_draft_scores_the_same_in_every_format(tmp_path: Path):
    scores = {ext: _score(path) for ext, path in draft_files(tmp_path).items()}
    assert max(scores.values()) - min(scores.values()) <= 0.1, scores
    assert min(scores.values()) >= 0.8, scores


@pytest.mark.parametrize("heading", ["## Lessons learned", "## 3. Challenges", "Lessons learned:"])
def test_text_under_a_heading_is_read_with_it(heading: str):
    body = "Short sessions repeated each term kept the pupils' attention better than one long day."
    found = {s.id for s in assess(f"# Safer Schools\n\n{heading}\n\n{body}").signals if s.found}
    assert "lessons" in found
    assert "lessons" not in {s.id for s in assess(f"# Safer Schools\n\n{body}").signals if s.found}


def test_headings_questions_and_labels_are_not_evidence():
    text = ("# Lessons learned and challenges met\n\nWhat lessons did the partners learn from the evaluation?\n\n"
            "Meeting: Lessons learned session with partners\n\n"
            "Submitted by: the partners of the national evaluation programme")
    assert assess(text).score == 0.0


def test_the_malawi_contribution_shows_its_results_lessons_and_partners():
    """The issue's best practice: its outcomes, its collaborating partners, its action plan and its lesson
    ("shows how a regulator, a CERT and ITU can combine their strengths") are read, its title is not."""
    profile = prepare_document(SAMPLE / "malawi-training-of-trainers.txt").quality
    assert profile is not None
    found = {s.id: s for s in profile.signals if s.found}
    assert {"results", "partners", "next_steps", "lessons", "objective"} <= set(found)
    assert all("TRAINING OF TRAINERS" not in (s.evidence.text if s.evidence else "") for s in found.values())
