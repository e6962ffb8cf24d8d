"""POST /synthesize: a grounded thematic synthesis as JSON, or as a Markdown, HTML or DOCX file.

The app factory includes `router` like the read routes (with the read-key dependency when the server
closes reads). A synthesis is a heavy request (api/heavy.py): it runs within the server's cap on them and
its deadline, and stops when its client leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.auth import ServiceDep
from api.heavy import HEAVY_ERRORS
from api.schemas import NON_BLANK, ErrorResponse, FilterParams, VersionOut, record_model
from api.service import Service
from index.filters import Filters
from search.characterization.tagging import taxonomy_for
from search.synthesis.model import Citation
from search.synthesis.pipeline import SynthesisOptions, Synthesizer
from search.synthesis.render import render_html, render_markdown
from search.synthesis.render_docx import render_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "docx": DOCX}

router = APIRouter(responses={
    400: {"model": ErrorResponse, "description": "invalid request (the detail says why)"},
    502: {"model": ErrorResponse, "description": "the language-model endpoint (rewrite) failed"}})


class SynthesizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=1, max_length=500, pattern=NON_BLANK,
                       description="a taxonomy label (id or name, e.g. `age_assurance`) or free text",
                       examples=["age assurance"])
    filters: FilterParams = Field(default_factory=FilterParams,  # type: ignore[arg-type]
                                  description="applied before retrieval")
    format: Literal["json", "md", "html", "docx"] = Field("json", description="json, or a file to download")
    subthemes: int | None = Field(None, ge=1, le=10, description="number of sub-themes (default: from the data)")
    language: str = Field("", pattern=r"^([a-z]{2,3})?$", description="of a contribution in several languages, "
                                                                        "quote the version in this one (ISO 639)")
    rewrite: bool = Field(False, description="rewrite summaries into prose with the server's LLM endpoint "
                                             "(CWG_LLM_URL); every sentence is checked against its citation")

    @field_validator("subthemes", "rewrite", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: Any) -> Any:
        """JSON types as documented: no `true` for a number, no `"true"` or `1` for a boolean."""
        if info.field_name == "subthemes" and (isinstance(value, (bool, str))):
            raise ValueError("must be a whole number")
        if info.field_name == "rewrite" and not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value


class CitedSentenceOut(BaseModel):
    text: str
    citation: int = Field(description="the number of the reference (passage) it is quoted from")
    start: int = Field(description="offset of the sentence in the passage (-1 for a checked rewrite)")
    end: int
    score: float
    rewritten: bool
    support: float | None = Field(description="similarity to the cited passage, for rewritten sentences")


class InitiativeOut(BaseModel):
    source: str
    country: str
    document_id: str
    title: str
    sentence: CitedSentenceOut
    actor_type: str


class FactOut(BaseModel):
    kind: str = Field(description="source, initiative or figure")
    text: str
    citation: int
    start: int = Field(description="for an initiative or a figure: text is the quoted sentence's [start:end]")
    end: int


class SubThemeOut(BaseModel):
    number: int
    title: str
    title_from: str = Field(description="facet=label when the title is a taxonomy label's name, else key phrases")
    lead: str = Field(description="the lead paragraph, written from `facts`; [n] marks a citation")
    facts: list[FactOut]
    key_phrases: list[str]
    summary: list[CitedSentenceOut]
    initiatives: list[InitiativeOut]
    passages: list[int]
    sources: list[str]
    prose: list[CitedSentenceOut] | None


CitationOut = record_model(Citation, "CitationOut", "A cited passage: an exact slice of its document's text.",
                           types={"versions": list[VersionOut]})


class GapOut(BaseModel):
    facet: str
    label: str
    name: str
    documents: int = Field(description="documents on the topic that carry it")
    of: int = Field(description="documents on the topic in the index (under the filters)")
    in_index: int = Field(description="documents in the index (under the filters) that carry it")


class RewriteFlagOut(BaseModel):
    subtheme: int
    text: str
    reason: str


class SynthesisOut(BaseModel):
    topic: str
    label: str | None
    label_name: str | None
    queries: list[str]
    filters: dict[str, list[str]]
    created_at: str
    subthemes: list[SubThemeOut]
    citations: list[CitationOut]
    documents: list[str]
    overview: dict[str, list[int]] = Field(description="source → sentences on the topic per sub-theme")
    topic_documents: int = Field(description="documents of the index about the topic: what the gaps count")
    topic_document_ids: list[str] = Field(default_factory=list, description="which documents they are")
    label_gaps: list[GapOut]
    region_gaps: list[GapOut]
    actor_gaps: list[GapOut]
    absent_regions: list[str] = Field(description="ITU regions without any document in the index")
    unaddressed: list[str] = Field(default_factory=list, description="taxonomy labels no document in the index "
                                                                     "(under the filters) carries: not gaps of this "
                                                                     "topic, gaps of the repository")
    regions: dict[str, int]
    tagged: bool
    notes: list[str]
    rewrite_model: str | None
    rewrite_flags: list[RewriteFlagOut]


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "the synthesis: JSON, or a file when `format` is md, html or docx",
    "content": {"application/json": {}, **{media: {"schema": {"type": "string"}} for media in FILE_TYPES.values()}},
}}


@router.post("/synthesize", response_model=SynthesisOut, responses={**FILE_RESPONSES, **HEAVY_ERRORS},
             tags=["synthesis"], summary="Grounded thematic synthesis: every sentence quoted from the passage it cites")
async def synthesize(request: Annotated[SynthesizeRequest, Body()], http: Request, service: ServiceDep) -> Any:
    return await service.heavy.run(http, lambda checkpoint: _synthesize(request, service, checkpoint))


def _synthesize(request: SynthesizeRequest, service: Service, checkpoint: Callable[[], None]) -> Any:
    filters = Filters()
    for name, value in request.filters.pairs():
        filters.add(name, value)
    folder = service.folder
    taxonomy = taxonomy_for(folder.store)
    synthesis = Synthesizer(folder, taxonomy, service.engine, checkpoint=checkpoint).synthesize(
        request.topic, filters, SynthesisOptions(subthemes=request.subthemes, language=request.language))
    checkpoint()
    if request.rewrite:
        settings = service.settings
        if not settings.llm_url or not settings.llm_model:
            synthesis.notes.append("A rewrite was asked for, but this server has no language-model endpoint "
                                   "(CWG_LLM_URL, CWG_LLM_MODEL): this is the extractive draft.")
        elif synthesis.subthemes:
            from search.synthesis.rewrite import LlmSettings, RewriteError, rewrite_synthesis

            try:
                rewrite_synthesis(synthesis, folder.embedder(folder.spaces[0]),
                                  LlmSettings(settings.llm_url, settings.llm_model, settings.llm_key), checkpoint)
            except RewriteError as exc:
                raise HTTPException(502, str(exc)) from None
    if request.format == "json":
        return synthesis.to_json()
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.topic).strip("-")[:60].lower() or "synthesis"
    body: bytes | str
    if request.format == "docx":
        body = render_docx(synthesis)
    else:
        body = render_markdown(synthesis) if request.format == "md" else render_html(synthesis)
    return Response(body, media_type=FILE_TYPES[request.format],
                    headers={"Content-Disposition": f'attachment; filename="synthesis-{name}.{request.format}"'})
