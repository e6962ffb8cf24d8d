"""The records of a synthesis (what the renderers and the API read)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.records import ChunkRecord, DocumentRecord
from ingest.language import LANGUAGE_NAMES
from ingest.records import DocumentFacts, facts_of
from search.synthesis.facts import Fact


@dataclass(kw_only=True)
class Citation(DocumentFacts):
    """A passage: an exact slice `char_start:char_end` of document `document_id`'s text, with its document's
    facts (`DocumentFacts`, defined there once)."""

    number: int
    document_id: str
    chunk_id: int
    page: int | None
    page_end: int | None
    char_start: int
    char_end: int
    passage: str
    ocr_confidence: float | None = None  # the passage was read by OCR from a scanned page, with this confidence
    curation: str = "none"  # the document's curation status (best_practice, promising, noted, none)
    versions: tuple[dict[str, str], ...] = ()  # the document's other language versions (document_id, language)

    @classmethod
    def make(cls, number: int, doc: DocumentRecord, chunk: ChunkRecord,
             versions: tuple[dict[str, str], ...] = ()) -> Citation:
        return cls(**facts_of(doc), number=number, document_id=doc.id, chunk_id=chunk.id, page=chunk.page_start,
                   page_end=chunk.page_end, char_start=chunk.char_start, char_end=chunk.char_end,
                   passage=chunk.text, ocr_confidence=chunk.ocr_confidence, curation=doc.curation, versions=versions)

    def label(self) -> str:
        """[title, source, page] as readers see it."""
        who = source_with_country(self.source, self.country, self.actor_type)
        parts = [self.title, who]
        if self.page is not None:
            parts.append(f"p. {self.page}" if self.page_end in (None, self.page) else f"pp. {self.page}–{self.page_end}")
        if self.ocr_confidence is not None:
            parts.append(f"OCR {self.ocr_confidence:.0%}")
        if self.curation in CURATED:
            parts.append(CURATED[self.curation])
        if self.versions:
            parts.append("also in " + ", ".join(LANGUAGE_NAMES.get(v["language"], v["language"])
                                                 for v in self.versions))
        return ", ".join(parts)


CURATED = {"best_practice": "curated as best practice", "promising": "curated as promising"}


def source_with_country(source: str, country: str, actor_type: str) -> str:
    """"Malawi"; "Stairway Foundation (based in Philippines)": an organisation's country is where it is based."""
    who = source or "unknown source"
    if country and country != source:
        who += f" ({country})" if actor_type == "member_state" else f" (based in {country})"
    return who


@dataclass(frozen=True)
class CitedSentence:
    """A sentence quoted from citation `citation`'s passage: `passage[start:end] == text`.

    Sentences rewritten by a language model have `rewritten=True`; their text is checked by
    similarity to the cited passage instead (`support`), and start/end are then -1.
    """

    text: str
    citation: int
    start: int
    end: int
    score: float = 0.0
    rewritten: bool = False
    support: float | None = None


@dataclass(frozen=True)
class Initiative:
    source: str
    country: str
    document_id: str
    title: str
    sentence: CitedSentence
    actor_type: str = ""

    def who(self) -> str:
        return source_with_country(self.source, self.country, self.actor_type) if self.source else self.title


@dataclass
class SubTheme:
    """A sub-theme as a draft section: `title`, a `lead` paragraph written from `facts` (each with its
    citation), then the evidence: `summary` (its most central quoted sentences) and one quoted sentence
    per initiative (source)."""

    number: int
    key_phrases: list[str]
    summary: list[CitedSentence]
    initiatives: list[Initiative]
    passages: list[int]
    sources: list[str]
    prose: list[CitedSentence] | None = None  # the optional language-model rewrite of `summary`
    title: str = ""
    title_from: str = ""  # "facet=label" when the title is a taxonomy label's name, else "key phrases"
    lead: str = ""
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class Gap:
    facet: str  # theme, risk, audience, initiative_type, "region" or "actor_type"
    label: str
    name: str
    documents: int  # documents on the topic that carry it
    of: int  # documents on the topic (in the index, under the filters)
    in_index: int = 0  # documents in the index (under the filters) that carry it


@dataclass(frozen=True)
class RewriteFlag:
    subtheme: int
    text: str
    reason: str


@dataclass
class Synthesis:
    topic: str
    label: str | None  # "facet=label" when the topic is a taxonomy label
    label_name: str | None
    queries: list[str]
    filters: dict[str, list[str]]
    created_at: str
    subthemes: list[SubTheme] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    overview: dict[str, list[int]] = field(default_factory=dict)  # source → passages per sub-theme
    topic_documents: int = 0  # documents of the index (under the filters) about the topic: what gaps count
    topic_document_ids: list[str] = field(default_factory=list)  # … which they are
    label_gaps: list[Gap] = field(default_factory=list)
    region_gaps: list[Gap] = field(default_factory=list)  # regions with documents, few of them on the topic
    actor_gaps: list[Gap] = field(default_factory=list)
    absent_regions: list[str] = field(default_factory=list)  # ITU regions without any document in the index
    unaddressed: list[str] = field(default_factory=list)  # names of labels no document in the index carries
    regions: dict[str, int] = field(default_factory=dict)  # ITU region → documents on the topic
    tagged: bool = False
    notes: list[str] = field(default_factory=list)
    rewrite_model: str | None = None
    rewrite_flags: list[RewriteFlag] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return self.label_name or self.topic

    def citation(self, number: int) -> Citation:
        return self.citations[number - 1]

    def sources(self) -> list[str]:
        return list(self.overview)

    def to_json(self) -> dict[str, object]:
        return asdict(self)
