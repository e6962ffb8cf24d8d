"""Write endpoints: upload documents, replace a file, move a document between collections, remove a document.
All need an API key; one writer at a time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, Path, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import ServiceDep, require_write_key
from api.schemas import (
    ISO_DATE,
    NON_BLANK,
    DocumentId,
    ErrorResponse,
    RemoveResponse,
    UploadError,
    UploadResponse,
    UploadResult,
)
from api.service import Service
from api.uploads import (
    MAX_FILES_PER_UPLOAD,
    UploadedFile,
    after_upload,
    ingest_uploads,
    replace_uploaded_file,
    safe_file_name,
)
from index.writer import IndexWriter
from ingest.records import ACTOR_TYPES, DOC_TYPES

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or wrong API key (`Authorization: Bearer <key>`)"},
    403: {"model": ErrorResponse, "description": "writes are disabled: the server has no CWG_API_KEYS"},
}
router = APIRouter(dependencies=[Depends(require_write_key)], responses=AUTH_ERRORS, tags=["documents"])
# Multipart has no null: an optional field left empty ("") means "not given", and the schema says so.
Empty = Literal[""]
MetaText = Annotated[Empty | Annotated[str, Field(max_length=300, pattern=NON_BLANK)], Form()]
DateText = Annotated[Empty | Annotated[str, Field(pattern=ISO_DATE)], Form(description="YYYY, YYYY-MM or YYYY-MM-DD")]
LanguageCode = Annotated[Empty | Annotated[str, Field(pattern=r"^[a-z]{2,3}$")],
                         Form(description="ISO 639 code, e.g. en")]
ActorType = Annotated[Literal["", "member_state", "intergovernmental", "un_agency", "civil_society", "industry",
                              "academia", "secretariat", "other"],
                      Form(description="who submits: " + ", ".join(f"{k} ({v})" for k, v in ACTOR_TYPES.items()))]
CollectionName = Annotated[Literal["", "contributions", "library"],
                           Form(description="contributions (a meeting's document) or library (reference material); "
                                            "default: contributions when a meeting is given or found, else library")]
DocType = Annotated[Literal["", "contribution", "information", "report", "liaison_statement", "secretariat",
                            "presentation", "other"],
                    Form(description="the group's document type: " + ", ".join(f"{k} ({v})" for k, v in DOC_TYPES.items()))]


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=UploadResponse,
             summary="Upload one or more files (PDF, DOCX, PPTX, ODT, HTML, Markdown, text); the format is read from the content",
             responses={
                 207: {"model": UploadResponse, "description": "some files were indexed, some failed (see each `detail`)"},
                 400: {"model": UploadError, "description": "no file could be indexed, or the body is not valid multipart"},
                 413: {"model": ErrorResponse, "description": "the request is larger than CWG_MAX_UPLOAD_MB"},
             })
async def upload_documents(
    files: Annotated[list[UploadFile], File(description=f"one to {MAX_FILES_PER_UPLOAD} files",
                                            min_length=1, max_length=MAX_FILES_PER_UPLOAD)],
    service: ServiceDep,
    title: MetaText = "",
    source: MetaText = "",
    country: MetaText = "",
    doc_type: DocType = "",
    actor_type: ActorType = "",
    meeting: MetaText = "",
    date: DateText = "",
    language: LanguageCode = "",
    collection: CollectionName = "",
    symbol: Annotated[Empty | Annotated[str, Field(max_length=80, pattern=NON_BLANK)],
                      Form(description="the ITU document symbol, e.g. CWG-COP/21/C/05-F: documents whose symbols differ "
                                       "only by the language letter are versions of one contribution")] = "",
) -> Any:
    """Metadata fields apply to every file of the request; what is not given is inferred from the file.
    Each file is indexed in its own transaction: a bad file is reported with the reason and changes nothing.
    An upload never replaces another document: the same bytes answer `unchanged` with the existing id; a
    file whose name is taken becomes a new document (`contribution-2`). To replace a document's file, use
    `PUT /documents/{id}/file`."""
    entry = {k: v for k, v in {"title": title, "source": source, "country": country, "doc_type": doc_type,
                               "actor_type": actor_type,
                               "meeting": meeting, "date": date, "language": language,
                               "collection": collection, "symbol": symbol}.items() if v}
    uploads = [UploadedFile(safe_file_name(f.filename), await f.read()) for f in files]
    results = await run_in_threadpool(ingest_uploads, service.folder, uploads, entry, service.settings.read_limits)
    if any(r["status"] in ("added", "updated") for r in results):
        await run_in_threadpool(_after_writes, service)
    failed = [r for r in results if r["status"] == "failed"]
    if len(failed) == len(results):
        reasons = "; ".join(f"{r['file_name']}: {r['detail']}" for r in failed)
        return JSONResponse({"detail": f"no file could be indexed ({reasons})", "results": results},
                            status_code=status.HTTP_400_BAD_REQUEST)
    if failed:
        return JSONResponse({"results": results}, status_code=status.HTTP_207_MULTI_STATUS)
    return {"results": results}


def _after_writes(service: Service) -> None:
    with service.write_lock:  # one refresh at a time; reading and encoding the files needed no lock
        after_upload(service.folder)


@router.put("/documents/{document_id}/file", response_model=UploadResult,
            summary="Replace a document's file: it keeps its id and metadata; its text, passages and labels are renewed",
            responses={
                400: {"model": UploadResult | ErrorResponse,  # type: ignore[dict-item]
                      "description": "the file could not be indexed (its result, with the reason); or the body is not "
                                     "valid multipart (`detail`). The document is unchanged"},
                404: {"model": ErrorResponse, "description": "no such document"},
                413: {"model": ErrorResponse, "description": "the request is larger than CWG_MAX_UPLOAD_MB"},
            })
async def replace_document_file(document_id: Annotated[DocumentId, Path()],
                                file: Annotated[UploadFile, File(description="the new file")],
                                service: ServiceDep) -> Any:
    upload = UploadedFile(safe_file_name(file.filename), await file.read())
    result = await run_in_threadpool(replace_uploaded_file, service.folder, document_id, upload,
                                     service.settings.read_limits)
    if result["status"] == "failed":
        return JSONResponse(result, status_code=status.HTTP_400_BAD_REQUEST)
    if result["status"] != "unchanged":
        await run_in_threadpool(_after_writes, service)
    return result


class CollectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: Literal["contributions", "library"] = Field(
        description="contributions (the group's meeting documents) or library (reference material)")


class CollectionOut(BaseModel):
    document_id: str
    collection: str
    moved: bool = Field(description="false when the document was in that collection already")


@router.put("/documents/{document_id}/collection", response_model=CollectionOut,
            summary="Move a document to the contributions or the library (nothing is read or encoded again)",
            responses={404: {"model": ErrorResponse, "description": "no such document"},
                       400: {"model": ErrorResponse, "description": "a body that is not JSON"}})
async def set_document_collection(document_id: Annotated[DocumentId, Path()],
                                  request: Annotated[CollectionRequest, Body()], service: ServiceDep) -> dict[str, Any]:
    moved = await run_in_threadpool(service.folder.store.set_collection, [document_id], request.collection)
    return {"document_id": document_id, "collection": request.collection, "moved": bool(moved)}


@router.delete("/documents/{document_id}", response_model=RemoveResponse, summary="Remove a document everywhere",
               responses={404: {"model": ErrorResponse, "description": "no such document"}})
async def remove_document(document_id: Annotated[DocumentId, Path()], service: ServiceDep) -> dict[str, str]:
    return await run_in_threadpool(_remove_serialized, service, document_id)


def _remove_serialized(service: Service, document_id: str) -> dict[str, str]:
    with service.write_lock:
        store = service.folder.store
        with store.snapshot():
            title = store.document(document_id).title  # NotFound → 404
        IndexWriter(service.folder).remove(document_id)
        service.folder.refresh_vectors()
    return {"removed": document_id, "title": title}
