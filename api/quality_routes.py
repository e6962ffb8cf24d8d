"""Quality signals over HTTP (issue 23): a document's profile with the curators' word on it (anyone who may
read), and a curator's correction of one signal (a curator key): the same `correct_signal` as `cwg quality`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ServiceDep, require_curator_key
from api.schemas import NON_BLANK, DocumentId, ErrorResponse
from ingest.quality import QUALITY_VERDICTS, SIGNAL_IDS

read_router = APIRouter(tags=["repository"])  # follows CWG_READ_REQUIRES_KEY like every read
curator_router = APIRouter(tags=["repository"])  # a curator key, whatever the read setting
SignalId = Literal[SIGNAL_IDS]  # type: ignore[valid-type]  # the vocabulary of ingest/quality.py
Verdict = Literal[QUALITY_VERDICTS]  # type: ignore[valid-type]
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "no such document"}}


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict = Field(description="confirmed: the document shows the signal; rejected: it does not")
    quote: str = Field("", max_length=2000, description="with confirmed: the sentence that shows it, copied from "
                                                        "the document's text (it must be found there)")
    reason: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK, description="why: kept with the correction")
    by: str = Field("curator", min_length=1, max_length=100, pattern=NON_BLANK, description="who decides")


class Correction(BaseModel):
    document_id: str
    signal: SignalId
    verdict: Verdict
    quote: str
    reason: str
    by: str
    at: str = Field(description="UTC time, ISO 8601")


class CuratorWord(BaseModel):
    verdict: Verdict
    quote: str
    reason: str
    by: str
    at: str


class SignalEvidence(BaseModel):
    text: str
    page: int | None


class SignalOut(BaseModel):
    id: SignalId
    name: str
    found: bool
    evidence: SignalEvidence | None = Field(description="the strongest sentence for the signal (or the curator's)")
    hint: str | None = Field(description="what to add, when missing")
    curator: CuratorWord | None = Field(description="the latest correction of this signal, when one was made")


class QualityOut(BaseModel):
    document_id: str
    score: float | None
    band: str
    signals: list[SignalOut]
    corrections: list[Correction] = Field(description="every correction, oldest first (append-only)")


def _quality(service: Any, document_id: str) -> dict[str, Any]:
    from search.characterization.quality import quality_json

    store = service.folder.store
    with store.snapshot():
        profile = quality_json(store, document_id)  # 404 for an unknown id
        history = store.quality_corrections(document_id)
    return {"document_id": document_id, **profile, "corrections": history}


def _correct(service: Any, document_id: str, signal: str, request: CorrectionRequest) -> dict[str, Any]:
    from search.characterization.quality import correct_signal

    correct_signal(service.folder.store, document_id, signal, request.verdict, request.quote,
                   " ".join(request.reason.split()), " ".join(request.by.split()))
    return _quality(service, document_id)


@curator_router.put("/documents/{document_id}/quality/{signal}", response_model=QualityOut,
                    dependencies=[Depends(require_curator_key)],
                    responses={**ERRORS, 400: {"model": ErrorResponse,
                                               "description": "a quote not in the document's text, a quote with a "
                                                              "rejection, or a body that is not JSON"},
                               401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                               403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
                    summary="Confirm or reject one quality signal of a document, or quote the sentence that shows "
                            "it (needs a key from CWG_CURATOR_KEYS)")
async def put_quality_signal(document_id: Annotated[DocumentId, Path()], signal: Annotated[SignalId, Path()],
                             request: Annotated[CorrectionRequest, Body()], service: ServiceDep) -> Any:
    """Appends to the document's corrections (nothing is overwritten); its score takes the curator's word at once,
    keeps it on re-ingest, and `cwg quality --train` learns from it."""
    return await run_in_threadpool(_correct, service, document_id, signal, request)


@read_router.get("/documents/{document_id}/quality", response_model=QualityOut, responses=ERRORS,
                 summary="A document's quality signals, with the curators' corrections")
async def get_quality(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> Any:
    return await run_in_threadpool(_quality, service, document_id)
