"""Sources named once over HTTP: `GET /sources` lists each source with its document count and aliases (a read);
`POST /sources/apply` renames stored documents' sources through the current alias table (a curator key), the
same write task as `cwg sources --apply` (index/sources.py's `apply_sources`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.auth import ServiceDep, require_curator_key
from api.schemas import ErrorResponse
from index.sources import apply_sources, source_rows

read_router = APIRouter(tags=["sources"])  # follows CWG_READ_REQUIRES_KEY like every read
curator_router = APIRouter(tags=["sources"])  # a curator key, whatever the read setting


class SourceOut(BaseModel):
    source: str
    documents: int
    aliases: list[str]  # the names and web domains the alias table resolves to this source
    becomes: str  # the canonical name when this stored source is an alias ("" when it is one already)


class SourcesOut(BaseModel):
    sources: list[SourceOut]


class SourceChangeOut(BaseModel):
    document_id: str
    title: str
    before: str
    after: str
    actor_type: str


class AppliedOut(BaseModel):
    applied: bool
    changes: list[SourceChangeOut]


@read_router.get("/sources", response_model=SourcesOut,
                 summary="Each source with its document count and the aliases that name it, most documents first")
async def get_sources(service: ServiceDep) -> Any:
    rows = await run_in_threadpool(source_rows, service.folder.store)
    return {"sources": [r.to_json() for r in rows]}


@curator_router.post("/sources/apply", response_model=AppliedOut, dependencies=[Depends(require_curator_key)],
                     responses={401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                                403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
                     summary="Rename stored documents' sources through the current alias table (metadata only)")
async def post_apply(service: ServiceDep) -> Any:
    """Nothing is read or encoded again; documents whose source the table names otherwise get its name (and, unless
    their manifest row gave one, the kind of actor that name is)."""
    changes = await run_in_threadpool(apply_sources, service.folder.store)
    return {"applied": True, "changes": [c.to_json() for c in changes]}
