"""HTTP request and response models. Requests are validated here, so limits show in the OpenAPI schema."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from index.filters import EVERY_COLLECTION, LIST_FIELDS, fold
from index.records import PRIVATE_FIELDS, DocumentRecord
from ingest.quality import QUALITY_BAND_NAMES
from ingest.records import COLLECTIONS, CURATION_STATUSES
from search.retrieval.engine import MAX_QUERY_CHARS, Hit
from search.retrieval.similar import SimilarResult

ISO_DATE = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
# "Not blank": some character that Python's str.strip() keeps. Spelled out because `\S` means
# different things to the validator (Rust regex), to JSON Schema clients (ECMAScript) and to Python.
NON_BLANK = r"[^\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Text in a query or a path: not blank, and no NUL anywhere. api/app.py refuses a NUL there (422) before any
# route runs (no stored value holds one: PostgreSQL's text cannot); the schema says so.
QUERY_TEXT = r"^[^\x00]*" + NON_BLANK.replace("[^", r"[^\x00", 1) + r"[^\x00]*$"
FilterValue = Annotated[str, Field(min_length=1, max_length=200, pattern=QUERY_TEXT)]
DocumentId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$",
                                  examples=["philippines-cop-initiatives"])]


def _named(vocabulary: dict[str, str]) -> Callable[[str], str]:
    """A validator of a value of `vocabulary` given by id or by name, in any case ("Best practice" is
    best_practice; "High (0.7 and above)" is high)."""
    def check(value: str) -> str:
        for key, name in vocabulary.items():
            if fold(value) in (fold(key), fold(name)):
                return key
        raise ValueError(f"not one of {', '.join(vocabulary)} (or their names: {', '.join(vocabulary.values())})")
    return check


def _collection(value: str) -> str:
    """A collection by id or by name, in any case, or "all"."""
    for collection, name in COLLECTIONS.items():
        if fold(value) in (fold(collection), fold(name)):
            return collection
    if fold(value) == EVERY_COLLECTION:
        return EVERY_COLLECTION
    raise ValueError(f"not one of {', '.join(COLLECTIONS)} or {EVERY_COLLECTION}")


CollectionValue = Annotated[str, AfterValidator(_collection),
                            WithJsonSchema({"type": "string", "enum": [*COLLECTIONS, EVERY_COLLECTION]})]
CurationValue = Annotated[str, AfterValidator(_named(CURATION_STATUSES)),
                          WithJsonSchema({"type": "string", "enum": [*CURATION_STATUSES, *CURATION_STATUSES.values()]})]
MAX_HITS = 100


# --- requests -------------------------------------------------------------------------------------
FILTER_EXAMPLES = {"source": ["UNICEF"], "country": ["Philippines"], "region": ["Africa"], "doc_type": ["contribution"],
                   "actor_type": ["member_state"], "meeting": ["CWG-COP-20"], "language": ["en"],
                   "collection": ["library"], "curation": ["best_practice"]}
FILTER_DESCRIPTIONS = {
    "collection": "contributions (the group's meeting documents), library (reference material) or all; searches, "
                  "feeds and views read the contributions unless asked",
    "curation": "the curator's latest status, by id or name"}
QualityBandValue = Annotated[str, AfterValidator(_named(QUALITY_BAND_NAMES)),
                             WithJsonSchema({"type": "string",
                                             "enum": [*QUALITY_BAND_NAMES, *QUALITY_BAND_NAMES.values()]})]
FILTER_VALUE_TYPES = {"collection": CollectionValue, "curation": CurationValue, "quality_band": QualityBandValue}


class FilterParams(create_model(  # type: ignore[misc]
        "FilterFields", __config__=ConfigDict(extra="forbid"),
        **{name: (list[FILTER_VALUE_TYPES.get(name, FilterValue)],  # type: ignore[misc]
                  Field(default_factory=list, examples=[FILTER_EXAMPLES[name]] if name in FILTER_EXAMPLES else None,
                        description=FILTER_DESCRIPTIONS.get(name)))
           for name in LIST_FIELDS})):
    """Metadata filters, applied before ranking. Repeat a field for alternatives (OR); fields combine with AND.
    The fields are index/filters.py's (`LIST_FIELDS`), one definition for the CLI, HTTP and the page."""

    model_config = ConfigDict(extra="forbid")

    min_quality: float | None = Field(None, ge=0.0, le=1.0, description="documents with at least this quality score",
                                      examples=[0.6])
    date_from: str | None = Field(None, pattern=ISO_DATE, description="YYYY, YYYY-MM or YYYY-MM-DD",
                                  examples=["2023-01"])
    date_to: str | None = Field(None, pattern=ISO_DATE, description="YYYY, YYYY-MM or YYYY-MM-DD",
                                examples=["2024"])

    def pairs(self) -> list[tuple[str, str]]:
        """(field, value) pairs for `index.filters.Filters`."""
        out = [(name, value) for name in LIST_FIELDS for value in getattr(self, name)]
        out += [(name, value) for name in ("date_from", "date_to") if (value := getattr(self, name))]
        if self.min_quality is not None:
            out.append(("min_quality", str(self.min_quality)))
        return out


class SearchParams(FilterParams):
    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=QUERY_TEXT,
                   description="the question, in any words (FTS syntax characters are plain text)",
                   examples=["training teachers to keep children safe online"])
    k: int = Field(10, ge=1, le=MAX_HITS, description="number of passages")
    per_source: int | None = Field(None, ge=1, le=MAX_HITS, description="at most this many passages per source")
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    min_relevance: float | None = Field(
        None, ge=0.0, le=1.0, description="the estimated probability of answering under which a passage is not "
                                          "offered (default: the calibrated floor; 0 offers every passage)")


class SimilarParams(FilterParams):
    document_id: DocumentId | None = Field(None, description="find initiatives like this document")
    text: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS, pattern=QUERY_TEXT,
                             description="or like this description",
                             examples=["a helpline for children who meet sexual extortion online"])
    chunk_id: int | None = Field(None, ge=0, le=2**62, description="or like this passage (a hit's `chunk_id`)")
    initiative_id: DocumentId | None = Field(None, description="or like this initiative record (`GET /initiatives`); "
                                                               "give exactly one of the four")
    k: int = Field(10, ge=1, le=50)


class DocumentListParams(FilterParams):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000)


# --- responses ------------------------------------------------------------------------------------
class ErrorResponse(BaseModel):
    detail: str = Field(examples=["no document 'x' in this index (see `cwg documents`)"])


class VersionOut(BaseModel):
    """Another language version of a document: the same contribution (one symbol) in another language."""

    document_id: str
    language: str = Field(description="ISO 639 code")


# What each field means, for every response that carries it (the records say what they are; the API says it
# to its readers): one sentence per field name, whichever record it comes from.
FIELD_DESCRIPTIONS = {
    "actor_type": "who submitted it: member_state, intergovernmental, un_agency, civil_society, industry, academia, "
                  "secretariat, other ('' if unknown)",
    "collection": "contributions (the group's meeting documents) or library (reference material)",
    "date": "YYYY, YYYY-MM or YYYY-MM-DD ('' if unknown)",
    "language": "ISO 639 code",
    "quality": "the document's quality score in [0, 1] from its quality signals (see /documents/{id}/card)",
    "curation": "the curator's latest status of the document: best_practice, promising, noted or none",
    "relevance": "the estimated probability that the passage answers the question, in [0, 1] (calibrated: see "
                 "the docs)",
    "versions": "the document's other language versions (the same contribution in other languages)",
    "char_start": "the passage is the document's text[char_start:char_end]",
    "has_file": "the original file can be fetched from /documents/{id}/file",
    "quality_band": "high (>= 0.7), medium (>= 0.4) or low",
    "quality_from": "the version whose quality profile `quality` is: the document's own id, or its contribution's "
                    "most complete language version",
}
FIRST_FIELDS = ("number", "document_id", "chunk_id")  # a response lists these first, then the record's order


def record_model(record: type, name: str, doc: str, *, exclude: frozenset[str] = frozenset(),
                 rename: dict[str, str] | None = None, types: dict[str, Any] | None = None,
                 more: dict[str, Any] | None = None, described: dict[str, str] | None = None) -> type[BaseModel]:
    """The response model of a record (a dataclass): its fields as the record types them, so that a field added
    to the record is in the API's schema at once and never typed twice. `exclude` leaves fields out, `rename`
    shows one under another name, `types` retypes one (a record's plain dicts as models), `more` adds fields
    the record's JSON computes (name → type, or (type, default)); descriptions come from `FIELD_DESCRIPTIONS`,
    or from `described` for what a field means in this record only."""
    hints, rename, types = typing.get_type_hints(record), rename or {}, types or {}
    descriptions = {**FIELD_DESCRIPTIONS, **(described or {})}
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name in exclude:
            continue
        shown = rename.get(f.name, f.name)
        if f.default is not dataclasses.MISSING:
            default: Any = f.default if not isinstance(f.default, tuple) else list(f.default)
            info = Field(default, description=descriptions.get(shown))
        elif f.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=list if shown in types else f.default_factory,
                         description=descriptions.get(shown))
        else:
            info = Field(description=descriptions.get(shown))
        fields[shown] = (types.get(shown, hints[f.name]), info)
    for shown, added in (more or {}).items():  # a type, or (a type, its default); a list may be left out: []
        annotation, default = added if isinstance(added, tuple) else (added, ...)
        if default is ... and typing.get_origin(annotation) is list:
            fields[shown] = (annotation, Field(default_factory=list, description=descriptions.get(shown)))
        else:
            fields[shown] = (annotation, Field(default, description=descriptions.get(shown)))
    ordered = {k: fields[k] for k in FIRST_FIELDS if k in fields} | fields
    model: type[BaseModel] = create_model(name, __doc__=doc, **ordered)
    return model


HitOut = record_model(Hit, "HitOut", "One passage with its citation (the fields of `cwg search --json`).",
                      exclude=frozenset({"signals"}), types={"versions": list[VersionOut]})


class FacetCount(BaseModel):
    value: str = Field(description="the value to filter by")
    count: int = Field(description="number of documents")
    name: str = Field(description="what people call it: a document type's or a label's name, else the value")


Facets = dict[str, list[FacetCount]]


QUERY_CUT = ("the query was longer than the server reads (CWG_QUERY_CHARS, default 1,000 characters): only its "
             "opening was encoded and searched for words")


class SearchResponse(BaseModel):
    query: str
    query_cut: bool = Field(False, description=QUERY_CUT)
    terms: list[str] = Field(description="the query words the lexical side matched (for highlighting)")
    hits: list[HitOut] = Field(description="the passages that answer, most likely first (from the contributions "
                                           "unless `collection` says otherwise)")
    library: list[HitOut] = Field(default_factory=list, description="reference passages that answer too, shown "
                                                                    "apart (only when no collection is asked for)")
    held_back: int = Field(0, description="candidate passages not offered: under `min_relevance`, or not content")
    min_relevance: float | None = Field(None, description="the floor used (null: relevance is not calibrated for "
                                                          "this index's models)")
    notices: list[str] = Field(default_factory=list, description="for the reader: nothing answers; a language the "
                                                                 "models do not read")
    facets: Facets = Field(description="document counts per facet value over the documents of `hits`")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "query": "teacher training", "terms": ["teacher", "training"],
        "hits": [{"document_id": "malawi-training-of-trainers", "chunk_id": 12,
                  "title": "Training of Trainers on Child Online Protection", "source": "Malawi",
                  "country": "Malawi", "region": "Africa", "doc_type": "contribution", "meeting": "CWG-COP-20",
                  "language": "en", "date": "2024-01-22", "page": None, "page_end": None, "section": "",
                  "text": "…", "score": 0.91, "char_start": 0, "char_end": 812}],
        "facets": {"country": [{"value": "Malawi", "count": 1}]}}]})


class AlsoFromSource(BaseModel):
    document_id: str
    title: str
    score: float


SimilarOut = record_model(
    SimilarResult, "SimilarOut", "A document of another source that does something alike, with the passages that "
    "match.", types={"passage": HitOut, "matched": HitOut, "also": list[AlsoFromSource]},
    described={"passage": "the best-matching passage of the similar document",
               "matched": "the passage or sentence of the query document (or text) it matches",
               "shared": "words both passages use (as the similar passage spells them), to highlight the shared "
                         "element",
               "also": "the same source's other documents that match, below this one",
               "why": "what the two do alike: the shared initiative_type, risk and audience labels and the two "
                      "matched initiatives (none when either document has no initiative recorded)"})


class SimilarResponse(BaseModel):
    results: list[SimilarOut]
    query_cut: bool = Field(False, description=QUERY_CUT.replace("query", "text", 1))


DocumentOut = record_model(
    DocumentRecord, "DocumentOut", "A document's metadata as the index holds it (never the server's paths).",
    exclude=PRIVATE_FIELDS, rename={"id": "document_id"},
    more={"has_file": bool, "quality_band": str, "quality_from": (str, ""), "versions": list[VersionOut]})


class DocumentList(BaseModel):
    total: int
    documents: list[DocumentOut]


class ChunkOut(BaseModel):
    chunk_id: int
    ordinal: int
    section: str
    page: int | None
    page_end: int | None
    char_start: int
    char_end: int
    text: str


class DocumentDetail(DocumentOut):
    passages: list[ChunkOut]


class FacetFieldOut(BaseModel):
    field: str = Field(description="the name to filter by (a query parameter, `--where FIELD=VALUE`)")
    name: str = Field(description="what people call it")


class FieldOut(FacetFieldOut):
    repeatable: bool = Field(description="repeat it for alternatives (OR)")


class FieldsResponse(BaseModel):
    """The filter fields and the facets the page shows, from the one definition the CLI and HTTP use."""

    fields: list[FieldOut]
    facets: list[FacetFieldOut] = Field(description="the facets a results page shows, in order (quality_band: the "
                                                    "quality score's band)")


class FacetsResponse(BaseModel):
    documents: int
    facets: Facets


class HealthResponse(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    generation: int
    model: str
    spaces: list[str]


class UploadResult(BaseModel):
    file_name: str = Field(description="the name it was stored under (sanitised)")
    status: Literal["added", "updated", "unchanged", "failed"]
    document_id: str | None = None
    detail: str = Field("", description="why it failed; or what the status means (the same content was "
                                         "indexed already; a file of the same name became a new document)")
    warnings: list[str] = Field(default_factory=list,
                                description="what was read with a doubt: a guessed text encoding, pages without text")


class UploadResponse(BaseModel):
    results: list[UploadResult]


class UploadError(BaseModel):
    """Every file of an upload failed (400), or the request itself was refused."""

    detail: str
    results: list[UploadResult] = Field(default_factory=list)


class RemoveResponse(BaseModel):
    removed: str
    title: str


class EvidenceOut(BaseModel):
    text: str = Field(description="an exact slice of the document's text")
    char_start: int
    char_end: int
    page: int | None = Field(None, description="the first page of the passage it is in (None: no pages)")
    chunk_id: int


class InitiativeOut(BaseModel):
    """An initiative a document describes or proposes (search/characterization/initiatives.py)."""

    id: str = Field(description="stable across re-tagging: the document id and a digest of its name or kind")
    document_id: str
    source: str = Field(description="who runs it: the document's source")
    country: str
    actor_type: str
    name: str = Field(description="its name when the text gives one, else empty")
    initiative_type: str = Field(description="a label id of the taxonomy's initiative_type facet")
    audience: list[str] = Field(description="label ids of the audience facet")
    risk: list[str] = Field(description="label ids of the risk facet")
    status: str = Field(description="planned, running, completed, evaluated, or empty when the text does not say")
    year: int | None
    score: float
    chunk_ids: list[int] = Field(description="the passages that describe it")
    evidence: dict[str, EvidenceOut] = Field(description="field → where the text says it")
    corrected: list[str] = Field(default_factory=list, description="the fields a curator set")


class InitiativeList(BaseModel):
    initiatives: list[InitiativeOut]


class InitiativeCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Literal["name", "initiative_type", "audience", "risk", "status", "year"]
    value: str | int | list[str] | None = Field(description="the new value (audience/risk: a list of label ids)")
    reason: str = Field("", max_length=2000, description="why: kept in the history")
    by: str = Field("curator", min_length=1, max_length=100, pattern=NON_BLANK, description="who corrects")


class InitiativeCorrectionEvent(BaseModel):
    initiative_id: str
    field: str
    value: str | int | list[str] | None
    curator: str
    reason: str
    at: str


class InitiativeCorrected(BaseModel):
    initiative: InitiativeOut
    history: list[InitiativeCorrectionEvent]
