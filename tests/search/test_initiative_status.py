"""An initiative's status read from what its text says (issue 24), on real contributions of the sample meeting
(examples/cwg-cop-20) and of the 21st meeting (bench/corpus/cwg-cop-21): English, French and Spanish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.characterization import initiatives
from search.characterization.initiative_status import STATUSES, read_status, sentence_spans

ROOT = Path(__file__).resolve().parents[2]
COP20 = ROOT / "examples" / "cwg-cop-20"
COP21 = ROOT / "bench" / "corpus" / "cwg-cop-21"


def _passages(path: Path, first: str = "", last: str = "") -> list[str]:
    """The file's sections (split at its headings), from the one starting with `first` to before `last`."""
    text = path.read_text(encoding="utf-8")
    if first:
        text = text[text.index(first):]
    if last:
        text = text[:text.index(last)]
    return [p.strip() for p in re.split(r"\n(?=#+ )", text) if p.strip()]


def _anchors(texts: list[str], name: str) -> list[tuple[int, int, int]]:
    return [(p, m.start(), m.end()) for p, t in enumerate(texts) for m in re.finditer(re.escape(name), t, re.I)]


@pytest.mark.parametrize(("path", "name", "status"), [
    # a seminar that was held (its conclusion's wish for more seminars in 2027 is what comes after it)
    (COP21 / "mongolia-childrens-personal-data-teachers.md", "training seminar", "completed"),
    # a guide in preparation, a consultation envisaged
    (COP21 / "belgique-guide-controle-parental-familles-fr.txt", "guide national", "planned"),
    # a draft decree adopted by the ministers, its entry into force envisaged for 2027
    (COP21 / "cote-divoire-controle-parental-terminaux-fr.md", "projet de décret", "planned"),
    # a regional consultation organised in 2025 (its second edition in 2028 is a next step)
    (COP21 / "iin-oea-consulta-ninez-entorno-digital-es.md", "Nuestra Voz en Línea", "completed"),
    # an initiative the text presents as in operation, with no end and no plan
    (COP20 / "egypt-digital-citizenship-initiative.md", "Digital Citizenship Initiative", "running"),
])
def test_status_of_real_contributions(path: Path, name: str, status: str):
    texts = _passages(path)
    reading = read_status(texts, _anchors(texts, name))
    assert reading.status == status
    said = texts[reading.passage][reading.start:reading.end]
    assert said and (reading.start, reading.end) in sentence_spans(texts[reading.passage])


def test_an_evaluated_pilot_and_the_survey_before_it():
    """One report, two initiatives: the survey was carried out; the pilot was tested against comparison schools."""
    path = COP21 / "meridian-university-six-country-survey.md"
    pilot = _passages(path, "## The pilot", "## Limitations")
    reading = read_status(pilot, _anchors(pilot, "Tell Someone Who Can Help"))
    assert reading.status == "evaluated" and reading.score >= 4
    assert re.search(r"comparison|rose from", pilot[reading.passage][reading.start:reading.end])
    survey = _passages(path, "## Summary", "## The question")
    assert read_status(survey, _anchors(survey, "survey")).status == "completed"


def test_planned_wording_under_next_steps_counts_little():
    """'We will run a follow-up' under Next steps does not make a completed survey planned; the same wording about
    the initiative itself does."""
    path = COP21 / "meridian-university-six-country-survey.md"
    texts = _passages(path, "## Summary", "## The question") + _passages(path, "## Resources and next steps")
    assert read_status(texts, _anchors(texts, "survey")).status == "completed"
    future = ["The Ministry will launch a national survey of children in 2027."]
    assert read_status(future, _anchors(future, "survey")).status == "planned"


def test_no_wording_is_running_and_one_vocabulary():
    reading = read_status(["SafeSurf, Bahrain's national online safety initiative"], [(0, 0, 8)])
    assert reading.status == "running" and reading.score == 0 and (reading.start, reading.end) == (0, 53)
    assert initiatives.STATUSES is STATUSES  # defined once, used by the records, filters and corrections
