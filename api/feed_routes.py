"""`GET /feeds/documents.atom`: the newest documents matching the same filters and `q` as `/search`, as an
Atom feed (feedgen), each entry linking to the document on the page with its characterization. Readers
(delegates) follow a search and hear when something new lands on their topic. Reads rules apply."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field

from api.auth import ServiceDep
from api.heavy import HEAVY_ERRORS, LONG_QUERY_CHARS, is_long
from api.read_routes import to_filters
from api.schemas import MAX_QUERY_CHARS, QUERY_TEXT, FilterParams
from index.records import DocumentRecord
from search.retrieval.answer import answering_documents
from search.retrieval.engine import cut_query
from search.retrieval.versions import contributions

router = APIRouter(tags=["feeds"])
ATOM = "application/atom+xml; charset=utf-8"
MAX_ENTRIES = 50


class FeedParams(FilterParams):
    q: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS, pattern=QUERY_TEXT,
                          description="a search: only documents with a passage that answers it (relevance over "
                                      "the calibrated floor)")
    limit: int = Field(20, ge=1, le=MAX_ENTRIES, description="newest documents in the feed")


def _when(doc: DocumentRecord) -> datetime:
    try:
        return datetime.fromisoformat(doc.added_at).astimezone(timezone.utc)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)


def build_feed(service: Any, params: FeedParams, base: str, self_url: str) -> bytes:
    from feedgen.feed import FeedGenerator

    store = service.folder.store
    filters = to_filters(params)  # the group's contributions unless a collection is named
    with store.snapshot():
        shared = contributions(store)  # curation and quality are the contribution's, whichever version
        if params.q:  # documents with a passage that answers it (read up to CWG_QUERY_CHARS characters)
            docs = list(store.documents_by_id(answering_documents(service.engine, params.q, filters)).values())
        else:
            docs = store.documents(shared.filters(filters.scoped(), store))
        docs = shared.versions.once(shared.records(docs))  # a contribution once, with its status and quality
        docs.sort(key=lambda d: (_when(d), d.id), reverse=True)
        docs = docs[: params.limit]
        labels = store.labels_of([d.id for d in docs])
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.render_docx import docx_text as x  # only the characters XML 1.0 allows

    names = {(lb.facet, lb.id): lb.name for lb in taxonomy_for(store).labels()}
    q = cut_query(params.q.strip(), service.engine.query_chars) if params.q else None  # what was searched
    described = "; ".join(f"{k}={v}" for k, v in ([("q", q)] if q else []) + params.pairs())
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(x(f"CWG-COP contributions: {described or 'every new document'}"))
    feed.link(href=self_url, rel="self")
    feed.link(href=f"{base}/?{urlencode(([('q', q)] if q else []) + params.pairs())}", rel="alternate")
    feed.updated(max((_when(d) for d in docs), default=datetime.now(timezone.utc)))
    feed.author({"name": "CWG-COP contribution search"})
    for doc in reversed(docs):  # feedgen lists entries newest first when added oldest first
        entry = feed.add_entry()
        page = f"{base}/?document={doc.id}"
        entry.id(page)
        entry.title(x(doc.title) or doc.id)
        entry.link(href=page)
        entry.updated(_when(doc))
        if doc.date:  # YYYY, YYYY-MM or YYYY-MM-DD: the first day it names
            day = doc.date + {4: "-01-01", 7: "-01"}.get(len(doc.date), "")
            try:
                entry.published(datetime.fromisoformat(day).replace(tzinfo=timezone.utc))
            except ValueError:
                pass
        entry.author({"name": x(doc.source) or "unknown source"})
        parts = [f"Source: {doc.source or 'unknown'}", f"type: {doc.doc_type}"]
        if doc.meeting:
            parts.append(f"meeting: {doc.meeting}")
        if doc.quality is not None:
            parts.append(f"quality: {doc.quality:.2f}")
        if doc.curation != "none":
            parts.append(f"curation: {doc.curation}")
        characterization = ", ".join(names.get(p, p[1]) for p in sorted(labels.get(doc.id, set())))
        if characterization:
            parts.append(f"characterization: {characterization}")
        entry.summary(x(". ".join(parts) + "."))
        for facet, label in sorted(labels.get(doc.id, set())):
            entry.category(term=x(f"{facet}={label}"), label=x(names.get((facet, label), label)))
    return feed.atom_str(pretty=True)


@router.get("/feeds/documents.atom", response_class=Response,
            responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}},
                             "description": "an Atom feed of the newest matching documents"}, **HEAVY_ERRORS},
            summary="Follow a search: the newest documents matching these filters (and q), as Atom",
            description=f"`q` is read as a search reads it; one longer than {LONG_QUERY_CHARS} characters makes the "
                        "feed a heavy request (503 when too many run at once).")
async def documents_feed(params: Annotated[FeedParams, Query()], request: Request, service: ServiceDep) -> Response:
    base = str(request.base_url).rstrip("/")
    if is_long(params.q):
        body = await service.heavy.run(request, lambda _checkpoint: build_feed(service, params, base, str(request.url)))
    else:
        body = await run_in_threadpool(build_feed, service, params, base, str(request.url))
    return Response(body, media_type=ATOM)
