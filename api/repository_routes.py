"""The repository mechanism over HTTP: curation statuses (a curator key sets them; anyone who may read
sees them and their history)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ServiceDep, require_curator_key
from api.schemas import NON_BLANK, DocumentId, ErrorResponse

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
    status: Status = Field(description="the latest status (none when never curated)")
    history: list[CurationEvent] = Field(description="every status given, oldest first (append-only)")


def _curation(service: Any, document_id: str) -> dict[str, Any]:
    store = service.folder.store
    with store.snapshot():
        store.document(document_id)  # 404 for an unknown id
        history = store.curation_history(document_id)
    return {"document_id": document_id, "status": history[-1]["status"] if history else "none", "history": history}


@curator_router.put("/documents/{document_id}/curation", response_model=CurationOut,
            dependencies=[Depends(require_curator_key)],
            responses={**ERRORS, 401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                       403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
            summary="Set a document's curation status with a reason (needs a key from CWG_CURATOR_KEYS)")
async def put_curation(document_id: Annotated[DocumentId, Path()], request: Annotated[CurationRequest, Body()],
                       service: ServiceDep) -> Any:
    """Appends to the document's history (nothing is overwritten); the status survives re-ingesting the
    same or an updated file."""
    reason = " ".join(request.reason.split())
    await run_in_threadpool(service.folder.store.curate, document_id, request.status, reason,
                            " ".join(request.by.split()))
    return await run_in_threadpool(_curation, service, document_id)


@read_router.get("/documents/{document_id}/curation", response_model=CurationOut, responses=ERRORS,
            summary="A document's curation status and its whole history")
async def get_curation(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> Any:
    return await run_in_threadpool(_curation, service, document_id)
