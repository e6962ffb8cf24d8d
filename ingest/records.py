"""Typed records passed from the ingest layer to the index layer."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "table"]
# The group's document types: id → the name shown to people. A manifest value outside the list is
# kept (normalised to an id) with a warning.
DOC_TYPES: dict[str, str] = {
    "contribution": "Contribution",
    "information": "Information document",
    "report": "Report",
    "liaison_statement": "Liaison statement",
    "secretariat": "Secretariat document",
    "presentation": "Presentation",
    "other": "Other",
}


# Where a document belongs: the group's own meeting documents, or reference material read beside them.
COLLECTIONS: dict[str, str] = {
    "contributions": "Contributions",
    "library": "Library",
}

# Who submits: the kinds of actor, id → the name shown to people.
CURATION_STATUSES: dict[str, str] = {  # set by a curator, with a reason; "none" withdraws a status
    "best_practice": "Best practice",
    "promising": "Promising",
    "noted": "Noted",
    "none": "None",
}

ACTOR_TYPES: dict[str, str] = {
    "member_state": "Member state",
    "intergovernmental": "Intergovernmental organisation",
    "un_agency": "UN agency",
    "civil_society": "Civil society",
    "industry": "Industry",
    "academia": "Academia",
    "secretariat": "Secretariat",
    "other": "Other",
}


@dataclass(frozen=True)
class Block:
    """A unit of document structure: a heading, a paragraph or a (flattened) table.

    `page` is 1-based for paged formats (PDF) and None otherwise; `ocr_confidence` (0-1) marks text read by OCR
    from a page that is an image (ingest/scanned_pages.py).
    """

    kind: BlockKind
    text: str
    page: int | None = None
    level: int = 0
    ocr_confidence: float | None = None


@dataclass
class LoadedDocument:
    """What a loader extracted from one file, before metadata is merged."""

    format: str  # "pdf" | "docx" | "text" | "markdown" | "html"
    blocks: list[Block]
    page_count: int | None = None
    title: str | None = None  # from the file itself (PDF info, DOCX core properties, <title>)
    author: str | None = None  # the file's own author field (PDF info, DOCX core properties)
    head_text: str = ""  # the opening lines as laid out (cover page), for header parsing
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. YAML front matter
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class DocumentFacts:
    """What a reader is told about a document wherever it appears: in the list, beside a hit, under a citation.
    The descriptive fields the filters and facets read, defined once: `DocumentMeta` (at ingest),
    `index.records.DocumentRecord` (in the index), `Hit` and `Citation` (in answers) extend it."""

    title: str = ""
    source: str = ""
    country: str = ""
    region: str = ""
    doc_type: str = "other"  # one of DOC_TYPES
    actor_type: str = ""  # one of ACTOR_TYPES ("" when nothing says who submitted it)
    meeting: str = ""
    date: str = ""  # ISO: YYYY, YYYY-MM or YYYY-MM-DD
    language: str = ""  # ISO 639
    collection: str = ""  # one of COLLECTIONS: given, else contributions when a meeting is known


def facts_of(document: DocumentFacts) -> dict[str, str]:
    """`document`'s `DocumentFacts` fields by name: what a hit or a citation copies from its document."""
    return {f.name: getattr(document, f.name) for f in fields(DocumentFacts)}


@dataclass(kw_only=True)
class DocumentMeta(DocumentFacts):
    """Descriptive metadata of a document (manifest > front matter > inference)."""

    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage: an exact slice `text == document_text[char_start:char_end]`."""

    ordinal: int
    text: str
    section: str
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    content_hash: str
    ocr_confidence: float | None = None  # its text was read by OCR: the mean confidence (0-1) of its blocks


@dataclass
class PreparedDocument:
    """A document ready to be embedded and stored."""

    path: str
    file_name: str
    file_hash: str
    format: str
    meta: DocumentMeta
    text: str
    page_count: int | None
    chunks: list[Chunk]
    warnings: list[str] = field(default_factory=list)
    quality: Any = None  # its QualityProfile (ingest/quality.py), computed from the text
