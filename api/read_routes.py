"""Read endpoints: search, similar initiatives, documents, facets, health. Each reads one snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from api.auth import ServiceDep, require_read_key
from api.heavy import HEAVY_ERRORS, LONG_QUERY_CHARS, is_long
from api.schemas import (
    DocumentDetail,
    DocumentId,
    DocumentList,
    DocumentListParams,
    ErrorResponse,
    FacetsResponse,
    FieldsResponse,
    FilterParams,
    HealthResponse,
    SearchParams,
    SearchResponse,
    SimilarParams,
    SimilarResponse,
)
from api.service import Service
from index.filters import FIELD_NAMES, FILTER_FIELDS, LABEL_FACETS, LIST_FIELDS, Filters
from index.records import DocumentRecord
from ingest.errors import NotFound, QueryError
from search.characterization.facets import facet_counts
from search.characterization.tagging import taxonomy_for
from search.retrieval.answer import Question, answer_in_snapshot
from search.retrieval.engine import query_is_cut
from search.retrieval.versions import Contributions, contributions, document_json

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "invalid request (the detail says why)"}}
KEY_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "an API key is required (CWG_READ_REQUIRES_KEY)"},
    403: {"model": ErrorResponse, "description": "reads need a key but the server has none configured"},
}
# The key dependency (and so the documented bearer security) is attached by the app factory only
# when the server's settings close reads (CWG_READ_REQUIRES_KEY): the schema says what is true.
READS_NEED_KEY: dict[str, Any] = {"dependencies": [Depends(require_read_key)], "responses": KEY_ERRORS}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such document"}}
MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "html": "text/html; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
               "text": "text/plain; charset=utf-8",
               "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
               "odt": "application/vnd.oasis.opendocument.text", "doc": "application/msword",
               "ppt": "application/vnd.ms-powerpoint"}

async def single_values(request: Request) -> None:
    """A parameter that takes one value, given twice (`text=a&text=b`), is refused: which one would count?
    Only the filter fields take several values (alternatives). Async, so it runs on the event loop: a plain
    function dependency costs every request a trip through the thread pool (see `get_service`)."""
    repeated = sorted({key for key, _ in request.query_params.multi_items()
                       if key not in LIST_FIELDS and len(request.query_params.getlist(key)) > 1})
    if repeated:
        raise RequestValidationError([{"type": "too_long", "loc": ("query", name), "input": None,
                                       "msg": "give this parameter once (only filter fields repeat)"}
                                      for name in repeated])


router = APIRouter(responses=ERRORS, dependencies=[Depends(single_values)])
health_router = APIRouter()  # liveness stays open even when reads need a key


def to_filters(params: FilterParams) -> Filters:
    filters = Filters()
    for name, value in params.pairs():
        filters.add(name, value)
    return filters


def document_out(d: DocumentRecord, found: Contributions) -> dict[str, Any]:
    return document_json(d, found)


def _facets_json(counts: dict) -> dict[str, list[dict[str, Any]]]:  # type: ignore[type-arg]
    return {name: [{"value": v.value, "count": v.count, "name": v.name} for v in values]
            for name, values in counts.items()}


@router.get("/search", response_model=SearchResponse, responses=HEAVY_ERRORS, tags=["search"],
            summary="Ranked passages with citations, and facet counts of their documents",
            description="A query is read up to CWG_QUERY_CHARS characters (`query_cut` says when it was longer); "
                        f"one longer than {LONG_QUERY_CHARS} characters is a heavy request (503 when too many run).")
async def search(params: Annotated[SearchParams, Query()], request: Request, service: ServiceDep) -> dict[str, Any]:
    if is_long(params.q):
        return await service.heavy.run(request, lambda _checkpoint: _search(params, service))
    return await run_in_threadpool(_search, params, service)


def _search(params: SearchParams, service: Service) -> dict[str, Any]:
    question = Question(params.q, params.k, to_filters(params), params.per_source, params.mode, params.min_relevance)
    store = service.folder.store
    with store.snapshot():  # the one snapshot of the search: the hits and the facet counts see one state
        found = answer_in_snapshot(service.engine, question)
        facets = facet_counts(store, document_ids={h.document_id for h in found.hits})
    return {**found.to_json(), "query": params.q, "query_cut": found.cut, "facets": _facets_json(facets)}


@router.get("/similar", response_model=SimilarResponse, responses={**NOT_FOUND, **HEAVY_ERRORS}, tags=["search"],
            summary="Similar initiatives from other sources, like a document, a description, a passage or an "
                    "initiative",
            description="Give exactly one of `document_id`, `text`, `chunk_id` and `initiative_id` (400 otherwise). "
                        "A text is read up to CWG_QUERY_CHARS characters; one longer than "
                        f"{LONG_QUERY_CHARS} is a heavy request.")
async def similar(params: Annotated[SimilarParams, Query()], request: Request, service: ServiceDep) -> dict[str, Any]:
    given = (params.document_id, params.text, params.chunk_id, params.initiative_id)
    if sum(x is not None for x in given) != 1:
        raise QueryError("give exactly one of document_id, text, chunk_id and initiative_id")
    if is_long(params.text):
        return await service.heavy.run(request, lambda _checkpoint: _similar(params, service))
    return await run_in_threadpool(_similar, params, service)


def _similar(params: SimilarParams, service: Service) -> dict[str, Any]:
    results = service.similar.similar(document_id=params.document_id, text=params.text, chunk_id=params.chunk_id,
                                      initiative_id=params.initiative_id, k=params.k, filters=to_filters(params))
    contributions(service.folder.store).mark(r.passage for r in results)  # the contribution's status and quality
    cut = params.text is not None and query_is_cut(params.text, service.similar.query_chars)
    return {"results": [r.to_json() for r in results], "query_cut": cut}


# The read routes below are async and hand their work to the thread pool themselves: a plain-function route
# took two trips through the pool (the work, then the validation of its answer), each a wake-up queued behind
# the busy threads under many clients (bench/load_test.py); here the answer is checked on the event loop.
@router.get("/documents", response_model=DocumentList, tags=["documents"], summary="List indexed documents")
async def list_documents(params: Annotated[DocumentListParams, Query()], service: ServiceDep) -> dict[str, Any]:
    return await run_in_threadpool(_list_documents, params, service)


def _list_documents(params: DocumentListParams, service: Service) -> dict[str, Any]:
    store = service.folder.store
    with store.snapshot():
        found = contributions(store)  # curation and quality are each document's contribution's
        ids = store.document_ids(found.filters(to_filters(params), store))
        page = ids[params.offset:params.offset + params.limit]
        docs = store.documents_by_id(page)
    return {"total": len(ids), "documents": [document_out(docs[d], found) for d in page if d in docs]}


@router.get("/documents/{document_id}", response_model=DocumentDetail, responses=NOT_FOUND, tags=["documents"],
            summary="A document's metadata and its passages")
async def get_document(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> dict[str, Any]:
    return await run_in_threadpool(_get_document, document_id, service)


def _get_document(document_id: str, service: Service) -> dict[str, Any]:
    store = service.folder.store
    with store.snapshot():
        doc = store.document(document_id)
        chunks = store.chunks_of(document_id)
        found = contributions(store)
    passages = [{"chunk_id": c.id, "ordinal": c.ordinal, "section": c.section, "page": c.page_start,
                 "page_end": c.page_end, "char_start": c.char_start, "char_end": c.char_end, "text": c.text}
                for c in chunks]
    return {**document_out(doc, found), "passages": passages}


@router.get("/documents/{document_id}/file", responses={
    **NOT_FOUND, 200: {"description": "the original file; a PDF opens at a page with `#page=N`",
                       "content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()}}},
    response_class=StreamingResponse, tags=["documents"], summary="The original file as it was ingested")
def get_document_file(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> StreamingResponse:
    folder = service.folder
    with folder.store.snapshot():
        doc = folder.store.document(document_id)
        if not doc.stored_file:
            raise NotFound(f"document {document_id!r} has no stored original file")
        try:  # opened inside the snapshot: a deletion right after cannot pull the file from under us
            handle = folder.open_original(doc.stored_file)
        except OSError as exc:
            raise NotFound(f"the original file of {document_id!r} is missing from the index") from exc
    size = handle.seek(0, 2)
    handle.seek(0)
    headers = {"Content-Length": str(size), "Content-Disposition": content_disposition(doc.file_name),
               "X-Content-Type-Options": "nosniff"}
    if doc.format == "html":  # someone's HTML never runs scripts in our origin
        headers["Content-Security-Policy"] = "sandbox"
    return StreamingResponse(_read_chunks(handle), media_type=MEDIA_TYPES.get(doc.format, "application/octet-stream"),
                             headers=headers)


def _read_chunks(handle: BinaryIO, size: int = 256 * 1024) -> Iterator[bytes]:
    with handle:
        while block := handle.read(size):
            yield block


def content_disposition(file_name: str) -> str:
    """`inline` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in file_name) or "document"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


@router.get("/facets", response_model=FacetsResponse, tags=["search"],
            summary="Document counts by country, region, doc_type, meeting, language, source (and labels)")
async def facets(params: Annotated[FilterParams, Query()], service: ServiceDep) -> dict[str, Any]:
    return await run_in_threadpool(_facets, params, service)


def _facets(params: FilterParams, service: Service) -> dict[str, Any]:
    store = service.folder.store
    with store.snapshot():
        filters = contributions(store).filters(to_filters(params), store)
        counts = facet_counts(store, filters=filters)
        total = len(store.document_ids(filters))
    return {"documents": total, "facets": _facets_json(counts)}


# the facets a results page shows, in this order: the curator's and the score's verdicts, who, where, what, when
PAGE_FACETS = ("curation", "quality_band", "actor_type", "country", "region", "doc_type", "meeting", "language",
               "source", *LABEL_FACETS)


@router.get("/fields", response_model=FieldsResponse, tags=["search"],
            summary="The filter fields (and the facets the page shows), with the names people read")
def fields(service: ServiceDep) -> dict[str, Any]:
    names = dict(FIELD_NAMES)
    with service.folder.store.snapshot():
        names.update((facet, f.name) for facet, f in taxonomy_for(service.folder.store).facets.items())
    return {"fields": [{"field": name, "name": names[name], "repeatable": name in LIST_FIELDS}
                       for name in FILTER_FIELDS],
            "facets": [{"field": name, "name": names[name]} for name in PAGE_FACETS]}


@health_router.get("/health", response_model=HealthResponse, tags=["service"], summary="Liveness and index size")
def health(service: ServiceDep) -> dict[str, Any]:
    folder = service.folder
    store = folder.store
    with store.snapshot():
        documents = store.document_count()
        chunks = store.chunk_count()
        generation = store.generation()
    return {"status": "ok", "documents": documents, "chunks": chunks, "generation": generation,
            "model": folder.manifest.model, "spaces": list(folder.spaces)}
