"""A document's own title wins over its numbered section headings (issue 25: "3 Share our code of behaviour with
your child" was a parent guide's title). Real files from ../shared/data and the sample meeting; the figures over
every file are bench/titles.py's (docs/guide/repository.md)."""

from __future__ import annotations

import pytest

from ingest.loaders import load_file
from ingest.metadata import infer_title
from ingest.records import Block, LoadedDocument
from tests.conftest import SAMPLE, shared_data

GUIDE = "Code Club and CoderDojo Parent Guide Supporting Online Coding Session"  # the PDFs' own title field


@pytest.mark.parametrize(("language", "was"), [
    ("en", "3 Share our code of behaviour with your child"),
    ("es", "3. Comparta nuestro código de conducta con su hijo"),
    ("fr", "1. Préparez l'appareil de votre enfant à l'avance"),
    ("pt", "1. Prepare o dispositivo do seu filho com antecedência"),
])
def test_a_parent_guide_is_titled_by_its_own_title_not_a_numbered_tip(language: str, was: str) -> None:
    path = shared_data("policy_pdfs", "multilingual_child_online_safety",
                       f"{language}__parent_guide_supporting_online_coding_session.pdf")
    loaded = load_file(path)
    assert any(" ".join(b.text.split()).startswith(was) for b in loaded.blocks)  # the heading is still read
    assert infer_title(loaded, path.name) == GUIDE


def test_a_text_without_a_title_field_is_titled_by_its_cover_line_not_section_one() -> None:
    path = SAMPLE / "malawi-training-of-trainers.txt"
    loaded = load_file(path)
    assert loaded.blocks[1].kind == "heading" and loaded.blocks[1].text == "1. Background"
    assert infer_title(loaded, path.name) == "TRAINING OF TRAINERS FOR EDUCATORS ON CHILD ONLINE PROTECTION"


def test_a_numbered_heading_is_the_title_only_when_nothing_else_is() -> None:
    def title(*blocks: Block, field: str | None = None) -> str:
        return infer_title(LoadedDocument("txt", list(blocks), title=field), "notes.txt")

    section = Block("heading", "2.1 Reporting channels for children", 1, 2)
    body = Block("paragraph", "children can report abuse through the helpline, the school, or the police.", 1)
    assert title(section, body) == "2.1 Reporting channels for children"  # nothing better: kept, not the file name
    assert title(section, body, field="Child Helpline Annual Report") == "Child Helpline Annual Report"
    assert title(section, body, field="Microsoft Word - report_final.docx") == "2.1 Reporting channels for children"
    assert title(Block("heading", "Child Helpline Annual Report", 1, 1), section, body) == \
        "Child Helpline Annual Report"
    # a year is not a section number
    assert title(Block("heading", "2030 Agenda for Children Online", 1, 1), body) == "2030 Agenda for Children Online"
