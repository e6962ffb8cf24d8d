"""The repository mechanism over HTTP: curation statuses (a curator key sets them; anyone who may read
sees them and their history)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, HTTPException, Path, Query, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ServiceDep, require_curator_key
from api.heavy import HEAVY_ERRORS
from api.read_routes import to_filters
from api.schemas import NON_BLANK, DocumentId, ErrorResponse, FilterParams, VersionOut
from api.uploads import safe_file_name
from index.filters import LABEL_FACETS
from ingest.errors import LoadError
from ingest.limits import ReadLimits

read_router = APIRouter(tags=["repository"])  # follows CWG_READ_REQUIRES_KEY like every read
curator_router = APIRouter(tags=["repository"])  # a curator key, whatever the read setting
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such document"}}
Status = Literal["best_practice", "promising", "noted", "none"]


class CurationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status = Field(description="best_practice, promising, noted, or none to withdraw a status")
    reason: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK,
                        description="why: shown with the badge and kept in the history",
                        examples=["Reports reach (120 teachers trained), partners and lessons learned"])
    by: str = Field("curator", min_length=1, max_length=100, pattern=NON_BLANK, description="who decides")


class CurationEvent(BaseModel):
    document_id: str
    status: Status
    reason: str
    by: str
    at: str = Field(description="UTC time, ISO 8601")


class CurationOut(BaseModel):
    document_id: str
    status: Status = Field(description="the latest status (none when never curated); a contribution in several "
                                       "languages has one: the latest set on any of its versions")
    history: list[CurationEvent] = Field(description="every status given, oldest first (append-only); for a "
                                                     "contribution in several languages, those given on any of its "
                                                     "versions (each event's document_id names it)")
    versions: list[VersionOut] = Field(default_factory=list, description="the other versions the status holds for")


def _curation(service: Any, document_id: str) -> dict[str, Any]:
    from search.characterization.repository import curation_of

    found = curation_of(service.folder.store, document_id)  # 404 for an unknown id
    return {**found, "versions": [v.to_json() for v in found["versions"]]}


@curator_router.put("/documents/{document_id}/curation", response_model=CurationOut,
            dependencies=[Depends(require_curator_key)],
            responses={**ERRORS, 400: {"model": ErrorResponse, "description": "a body that is not JSON"},
                       401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                       403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
            summary="Set a document's curation status with a reason (needs a key from CWG_CURATOR_KEYS)")
async def put_curation(document_id: Annotated[DocumentId, Path()], request: Annotated[CurationRequest, Body()],
                       service: ServiceDep) -> Any:
    """Appends to the document's history (nothing is overwritten); the status survives re-ingesting the
    same or an updated file, and holds for the document's other language versions (its contribution's)."""
    reason = " ".join(request.reason.split())
    await run_in_threadpool(service.folder.store.curate, document_id, request.status, reason,
                            " ".join(request.by.split()))
    return await run_in_threadpool(_curation, service, document_id)


@read_router.get("/documents/{document_id}/curation", response_model=CurationOut, responses=ERRORS,
            summary="A document's curation status and its whole history")
async def get_curation(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> Any:
    return await run_in_threadpool(_curation, service, document_id)


# --- selection, card, check ------------------------------------------------------------------------
class SelectParams(FilterParams):
    limit: int = Field(50, ge=1, le=1000)
    format: Literal["json", "md", "html", "csv", "docx"] = "json"


class EvidenceOut(BaseModel):
    signal: str
    text: str
    page: int | None


class LabelOut(BaseModel):
    facet: str
    label: str
    name: str


class SelectedOut(BaseModel):
    document_id: str
    title: str
    source: str
    country: str
    actor_type: str
    doc_type: str
    meeting: str
    date: str
    quality: float | None
    quality_band: str
    curation: Status
    curation_reason: str = Field(description="the curator's latest reason ('' when never curated)")
    quality_from: str = Field(description="the version whose quality profile the score is (a contribution in "
                                          "several languages is scored on its most complete version)")
    labels: list[LabelOut]
    evidence: EvidenceOut | None = Field(description="the strongest evidence: results, evaluation, figures, "
                                                     "lessons, initiative or objective, in that order")
    link: str = Field(description="the document on the web page")


class SelectResponse(BaseModel):
    documents: list[SelectedOut]


SELECT_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
                "csv": "text/csv; charset=utf-8",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@read_router.get("/select", response_model=SelectResponse, responses={200: {
    "description": "the reading list: JSON, or a file when `format` is md, html, csv or docx",
    "content": {"application/json": {}, **{media: {"schema": {"type": "string"}} for media in (
        "text/markdown; charset=utf-8", "text/html; charset=utf-8", "text/csv; charset=utf-8",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}}}, **HEAVY_ERRORS},
    summary="The reading list of the best content on a filter: curated best practice, "
                                    "then promising, then by quality (min_quality, curation and every filter apply)",
    description="A DOCX is a heavy request (503 when too many run at once, or past CWG_HEAVY_SECONDS).")
async def get_select(params: Annotated[SelectParams, Query()], request: Request, service: ServiceDep) -> Any:
    from search.characterization.render_repository import (
        select_csv,
        select_docx,
        select_html,
        select_markdown,
    )
    from search.characterization.repository import select
    from search.characterization.tagging import taxonomy_for

    filters = to_filters(params)
    folder = service.folder

    described = "; ".join(f"{k}={v}" for k, v in params.pairs())

    def run(checkpoint: Callable[[], None]) -> tuple[list[dict[str, Any]], str | bytes]:  # off the event loop
        entries = [e.to_json() for e in select(folder, taxonomy_for(folder.store), filters, params.limit)]
        if params.format == "json":
            return entries, ""
        checkpoint()
        return entries, {"md": lambda: select_markdown(entries, described), "csv": lambda: select_csv(entries),
                         "html": lambda: select_html(entries, described),
                         "docx": lambda: select_docx(entries, described)}[params.format]()

    if params.format == "docx":  # python-docx: ~5 ms a document, up to 1,000 of them
        entries, body = await service.heavy.run(request, run)
    else:
        entries, body = await run_in_threadpool(run, lambda: None)
    if params.format == "json":
        return {"documents": entries}
    return Response(body, media_type=SELECT_TYPES[params.format],
                    headers={"Content-Disposition": f'attachment; filename="reading-list.{params.format}"'})


@read_router.get("/documents/{document_id}/card", responses=ERRORS,
                 summary="A contribution's card: labels with evidence, quality signals with evidence or hints, "
                         "similar contributions from other sources, and the passages that are new")
async def get_card(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> Any:
    from search.characterization.repository import card
    from search.characterization.tagging import taxonomy_for

    folder = service.folder
    return await run_in_threadpool(lambda: card(folder, taxonomy_for(folder.store), document_id))


@read_router.post("/check", responses={400: {"model": ErrorResponse, "description": "a file that cannot be read"},
                                       **HEAVY_ERRORS},
                  summary="The card of a draft before it is submitted (no key; nothing is indexed)")
async def post_check(file: Annotated[UploadFile, File(description="the draft: PDF, DOCX, PPTX, ODT, HTML, Markdown or text")],
                     request: Request, service: ServiceDep) -> Any:
    """What the draft shows of each quality signal, the template's hint for each one missing, the prior
    contributions it should reference and what it adds. Size, unpacking and parsing limits are those of
    uploads; only the first CWG_CHECK_MAX_PASSAGES passages are compared (`cut` says when the draft had more).
    A heavy request: 503 when too many run at once, or past CWG_HEAVY_SECONDS."""
    from pathlib import Path as FilePath

    from search.characterization.repository import check

    name = safe_file_name(file.filename)
    data = await file.read()
    settings = service.settings
    # reading the file may take what is left of the request's time, never more
    limits = ReadLimits(settings.max_unpacked_bytes, min(settings.max_parse_seconds, service.heavy.seconds), settings.ocr)
    try:
        return await service.heavy.run(request, lambda checkpoint: check(
            service.folder, FilePath(name), data, name, limits=limits, max_passages=settings.check_max_passages,
            checkpoint=checkpoint))
    except LoadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name}: {exc}") from None


# --- trends ------------------------------------------------------------------------------------------
class TrendsParams(FilterParams):
    facet: Literal[(*LABEL_FACETS, "actor_type")] = "theme"  # type: ignore[valid-type]
    by: Literal["meeting", "year"] = "meeting"
    format: Literal["json", "png", "svg", "csv", "md"] = "json"


TREND_TYPES = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv; charset=utf-8",
               "md": "text/markdown; charset=utf-8"}


@read_router.get("/trends", responses={200: {
    "description": "documents per label per period: JSON, or a chart (png, svg) or a table (csv, md)",
    "content": {"application/json": {}, **{media: {"schema": {"type": "string"}} for media in TREND_TYPES.values()}}}},
    summary="Documents per label (or kind of contributor) per meeting or year, with shares, for these filters")
async def get_trends(params: Annotated[TrendsParams, Query()], service: ServiceDep) -> Any:
    from search.characterization.meetings import load_meetings, trends
    from search.characterization.render_trends import trends_chart, trends_csv, trends_markdown
    from search.characterization.tagging import taxonomy_for

    folder = service.folder
    filters = to_filters(params)

    def run() -> Any:
        data = trends(folder.store, taxonomy_for(folder.store), params.facet, params.by, filters, load_meetings())
        if params.format == "json":
            return data
        if params.format in ("png", "svg"):
            return trends_chart(data, params.format)
        return trends_csv(data) if params.format == "csv" else trends_markdown(data)

    result = await run_in_threadpool(run)
    if params.format == "json":
        return result
    return Response(result, media_type=TREND_TYPES[params.format])


# --- language versions ------------------------------------------------------------------------------
class VersionGroups(BaseModel):
    versions: list[list[VersionOut]] = Field(description="each contribution with more than one version")


class ProposalOut(BaseModel):
    a: VersionOut
    b: VersionOut
    alignment: float = Field(description="how closely their passages match one by one, in [0, 1]")


class Proposals(BaseModel):
    proposals: list[ProposalOut]


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_ids: list[Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]] = Field(
        min_length=2, max_length=20, description="documents that are versions of one contribution")


class Linked(BaseModel):
    linked: list[str] = Field(description="the whole group, with the versions it had")


def _groups(service: Any) -> dict[str, Any]:
    from search.retrieval.versions import versions

    store = service.folder.store
    with store.snapshot():
        return {"versions": [[v.to_json() for v in g] for g in versions(store).groups()]}


@read_router.get("/versions", response_model=VersionGroups, summary="Contributions published in several languages")
async def get_versions(service: ServiceDep) -> Any:
    return await run_in_threadpool(_groups, service)


@read_router.get("/versions/proposals", response_model=Proposals, responses=HEAVY_ERRORS,
                 summary="Documents in different languages that align passage for passage (no symbol links them)",
                 description="A heavy request: 503 when too many run at once, or past CWG_HEAVY_SECONDS.")
async def get_version_proposals(request: Request, service: ServiceDep) -> Any:
    from search.retrieval.versions import propose

    proposals = await service.heavy.run(request, lambda checkpoint: propose(service.folder, checkpoint=checkpoint))
    return {"proposals": [p.to_json() for p in proposals]}


@curator_router.put("/versions", response_model=Linked, dependencies=[Depends(require_curator_key)],
                    responses={**ERRORS, 400: {"model": ErrorResponse, "description": "a body that is not JSON"},
                               401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                               403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
                    summary="Confirm that documents are versions of one contribution (a curator key)")
async def put_versions(request: Annotated[LinkRequest, Body()], service: ServiceDep) -> Any:
    from search.retrieval.versions import link

    return {"linked": await run_in_threadpool(link, service.folder.store, request.document_ids)}
