"""Initiatives over HTTP: `GET /initiatives` (filters like the other read routes; `risk`, `audience` and
`initiative_type` select on the initiative's own fields) and a curator's correction of one record."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from api.auth import ServiceDep, require_curator_key
from api.schemas import ErrorResponse, FilterParams, InitiativeCorrected, InitiativeCorrection, InitiativeList
from api.service import Service
from index.filters import Filters
from search.characterization.initiative_corrections import correct
from search.characterization.initiatives import correction_history, select
from search.characterization.tagging import taxonomy_for

router = APIRouter(tags=["initiatives"])
curator_router = APIRouter(tags=["initiatives"])
OWN_FIELDS = ("risk", "audience", "initiative_type")


class InitiativeParams(FilterParams):
    status: list[Literal["planned", "running", "completed", "evaluated"]] = Field(default_factory=list)
    name: str | None = Field(None, max_length=200, description="a part of the initiative's name")
    limit: int = Field(200, ge=1, le=5000)


def _list(params: InitiativeParams, service: Service) -> dict[str, Any]:
    filters = Filters()
    own: dict[str, list[str]] = {}
    for name, value in params.pairs():
        if name in OWN_FIELDS:
            own.setdefault(name, []).append(value)
        else:
            filters.add(name, value)
    if params.status:
        own["status"] = list(params.status)
    if params.name:
        own["name"] = [params.name]
    store = service.folder.store
    found = select(store, filters, own, taxonomy_for(store))
    return {"initiatives": [i.to_json() for i in found[: params.limit]]}


@router.get("/initiatives", response_model=InitiativeList,
            summary="Initiatives the documents describe, each field with its evidence (computed by `cwg tag`)")
async def list_initiatives(params: Annotated[InitiativeParams, Query()], service: ServiceDep) -> dict[str, Any]:
    return await run_in_threadpool(_list, params, service)


def _correct(initiative_id: str, body: InitiativeCorrection, service: Service) -> dict[str, Any]:
    store = service.folder.store
    with service.write_lock:
        item = correct(store, initiative_id, body.field, body.value, " ".join(body.by.split()), " ".join(body.reason.split()),
                       taxonomy_for(store))
    return {"initiative": item.to_json(), "history": correction_history(store, initiative_id)}


@curator_router.put("/initiatives/{initiative_id}", response_model=InitiativeCorrected,
                    dependencies=[Depends(require_curator_key)],
                    responses={404: {"model": ErrorResponse, "description": "no such initiative"},
                               400: {"model": ErrorResponse, "description": "a value that is not allowed"},
                               401: {"model": ErrorResponse, "description": "missing or wrong curator key"},
                               403: {"model": ErrorResponse, "description": "an upload key, or curation disabled"}},
                    summary="Correct one field of an initiative (needs a key from CWG_CURATOR_KEYS); history kept")
async def put_initiative(initiative_id: Annotated[str, Path(max_length=400)],
                         body: Annotated[InitiativeCorrection, Body()], service: ServiceDep) -> dict[str, Any]:
    return await run_in_threadpool(_correct, initiative_id, body, service)
