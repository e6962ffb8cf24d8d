"""The core `cwg` sub-commands (ingest, search, similar, documents, remove, collection, reindex, migrate, eval,
serve): each one's arguments beside the function that runs it, listed in `COMMANDS` for api/cli.py."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

from api.cli_support import EXIT_FAILED, EXIT_OK, Command, UsageError, open_index, print_json, printable
from api.settings import Settings
from index.embedders import MODEL_NAMES, spaces_for_model
from index.filters import Filters
from index.folder import IndexFolder, index_location
from index.pg_connections import safe_location
from index.writer import FileResult, IndexWriter, scan_paths
from ingest.language import LANGUAGE_NAMES
from ingest.metadata import read_manifest
from search.retrieval.answer import Question, answer_in_snapshot
from search.retrieval.engine import BoundError, Hit, SearchEngine
from search.retrieval.similar import SimilarFinder
from search.retrieval.versions import contributions, document_json
from search.synthesis.model import source_with_country


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    manifest = read_manifest(args.manifest) if args.manifest else None
    missing = [p for p in args.paths if not p.exists()]
    exclude = {args.manifest.resolve()} if args.manifest else set()
    scan = scan_paths([p for p in args.paths if p.exists()], exclude)
    files, skipped = scan.files, scan.skipped
    for path, reason in scan.refused:
        _stderr(printable(f"{path}: skipped: {reason}"))
    if manifest is not None:
        for problem in manifest.problems + manifest.unmatched(files):
            _stderr(f"warning: {problem}")
    folder = open_index(args, settings, model=args.model, create=True)
    bar = None
    if sys.stderr.isatty() and len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr, leave=False)
    chunks_done = 0

    def progress(n: int, _total: int) -> None:
        nonlocal chunks_done
        chunks_done += n
        if bar is not None:
            bar.set_postfix(chunks=chunks_done)

    def on_result(result: FileResult) -> None:
        say = bar.write if bar is not None else _stderr
        if bar is not None:
            bar.update(1)
        if result.status == "failed":
            say(printable(f"{result.path}: {result.detail}"))
        for warning in result.warnings:
            say(printable(f"{result.path}: warning: {warning}"))

    try:
        writer = IndexWriter(folder, progress=progress, limits=settings.read_limits)
        entries = manifest.entries if manifest else {}
        if args.collection:  # every file of this run, unless its manifest row says otherwise
            entries = {f.resolve(): {"collection": args.collection, **entries.get(f.resolve(), {})} for f in files}
        report = writer.ingest(files, entries, on_result=on_result, aliases=manifest.aliases if manifest else None)
        for path in missing:
            report.failed.append((str(path), "no such file or folder"))
            _stderr(printable(f"{path}: no such file or folder"))
        folder.refresh_vectors(load=False)  # the cache caught up on disk; this process does not search
        retagged = None
        if report.added or report.updated:
            from search.characterization.tagging import retag_if_tagged

            retagged = retag_if_tagged(folder)
    finally:
        if bar is not None:
            bar.close()
        folder.close()
    if retagged is not None:
        print(f"labels recomputed for {retagged.documents} documents (taxonomy of the last `cwg tag`)")
    if skipped:
        names = ", ".join(p.name for p in skipped[:5]) + (" …" if len(skipped) > 5 else "")
        print(printable(f"skipped {len(skipped)} files that are not documents ({names})"))
    for refused in report.aliases_refused:
        _stderr(printable(f"warning: alias {refused}"))
    if report.aliases_added:
        n = len(report.renamed)
        print(printable(f"aliases kept by the index: {len(report.aliases_added)} "
                        f"({'; '.join(f'{a} → {s}' for a, s in report.aliases_added.items())}); documents indexed "
                        f"before and renamed by them: {n}"))
    if report.kept:
        n = len(report.kept)
        print(f"kept the metadata given earlier for {n} document{'s' if n != 1 else ''}: no manifest row names "
              f"{'them' if n != 1 else 'it'} (a manifest row changes metadata; leaving one out does not)")
    print(report.summary())
    return EXIT_FAILED if report.failed else EXIT_OK


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _cite(hit: Hit) -> str:
    who = source_with_country(hit.source, hit.country, hit.actor_type)
    page = ""
    if hit.page is not None:
        page = f", p. {hit.page}" if hit.page_end in (None, hit.page) else f", pp. {hit.page}–{hit.page_end}"
        page += f", OCR {hit.ocr_confidence:.0%}" if hit.ocr_confidence is not None else ""
    return f"{hit.title} ({who}{page})"


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    question = _question(args)  # checked before the index is opened
    folder = open_index(args, settings)
    try:
        with folder.store.snapshot():
            found = answer_in_snapshot(SearchEngine(folder, query_chars=settings.query_chars), question)
    finally:
        folder.close()
    if args.json:
        print_json({**found.to_json(), "query": args.query})
        return EXIT_OK
    for notice in found.notices:
        print(printable(notice))
    _print_hits(found.hits)
    if found.library:
        print("From the reference library:")
        _print_hits(found.library, mark="L")
    if found.held_back and found.min_relevance:
        print(f"({found.held_back} passages held back under relevance {found.min_relevance:.2f}: "
              f"--min-relevance 0 shows them)")
    return EXIT_OK


SEARCH_OPTIONS = {"per_source": "--per-source", "min_relevance": "--min-relevance"}  # as the user typed them


def _question(args: argparse.Namespace) -> Question:
    """The search asked on the command line; a bound it breaks is named by its option (`--per-source`)."""
    filters = Filters.parse(args.where)
    try:
        return Question(args.query, args.k, filters, args.per_source, args.mode, args.min_relevance)
    except BoundError as exc:
        if exc.parameter in SEARCH_OPTIONS:
            raise UsageError(f"{SEARCH_OPTIONS[exc.parameter]} {exc.rule}") from None
        raise


def _print_hits(hits: list[Hit], mark: str = "") -> None:
    for n, hit in enumerate(hits, start=1):
        score = f"{hit.relevance:.2f}" if hit.relevance is not None else f"{hit.score:.3f}"
        print(printable(f"{mark}{n}. [{score}] {_cite(hit)}  <{hit.document_id}>"))
        print(textwrap.indent(textwrap.fill(printable(hit.text[:600].replace("\n", " ")), 100), "   "))
        if hit.versions:  # the same contribution in other languages
            print(printable("   also in: " + ", ".join(f"{LANGUAGE_NAMES.get(v['language'], v['language'])} "
                                                       f"<{v['document_id']}>" for v in hit.versions)))


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    filters = Filters.parse(args.where)
    folder = open_index(args, settings)
    try:
        finder = SimilarFinder(folder, query_chars=settings.query_chars)
        results = finder.similar(document_id=args.document, text=args.text, chunk_id=args.passage,
                                 initiative_id=args.initiative, k=args.k, filters=filters)
    finally:
        folder.close()
    if args.json:
        print_json({"results": [r.to_json() for r in results]})
        return EXIT_OK
    if not results:
        print("no similar documents from other sources")
    for n, r in enumerate(results, start=1):
        print(f"{n}. [{r.score:.3f}] {r.title} ({r.source or 'unknown source'})  <{r.document_id}>")
        print(textwrap.indent(textwrap.fill("their passage: " + r.passage.text[:300].replace("\n", " "), 100), "   "))
        print(textwrap.indent(textwrap.fill("matches: " + r.matched.text[:200].replace("\n", " "), 100), "   "))
        if r.shared:
            print(f"   shared: {', '.join(r.shared)}")
        if r.why:
            kinds = ", ".join(map(str, [*r.why["initiative_type"], *r.why["audience"], *r.why["risk"]]))  # type: ignore[misc]
            theirs, mine = r.why["initiative"], r.why["matched_initiative"]
            print(f"   why: {kinds or 'their texts'} — {theirs['name'] or theirs['initiative_type']} "  # type: ignore[index]
                  f"~ {mine['name'] or mine['initiative_type']}")  # type: ignore[index]
        for other in r.also:
            print(f"   also from {r.source}: {other['title']}  <{other['document_id']}>")
    return EXIT_OK


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    filters = Filters.parse(args.where)
    folder = open_index(args, settings)
    try:
        with folder.store.snapshot():
            found = contributions(folder.store)  # curation and quality are each document's contribution's
            docs = found.records(folder.store.documents(found.filters(filters, folder.store)))
    finally:
        folder.close()
    if args.json:
        print_json({"documents": [{**document_json(d, found), "path": d.path} for d in docs]})
        return EXIT_OK
    for d in docs:
        pages = f"{d.pages} p." if d.pages else d.format
        print(f"{d.id:40.40}  {d.source or '-':22.22}  {d.doc_type:12}  {d.language:3}  {pages:>7}  {d.chunks:4} ch  {d.title[:60]}")
    print(f"{len(docs)} documents")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from index.reindex import reindex

    folder = open_index(args, settings)
    try:
        if set(folder.manifest.spaces) == set(spaces_for_model(args.model)):
            print(f"index already has the vector spaces of model '{args.model}': nothing to do")
            return EXIT_OK
        done = reindex(folder, args.model)
        reopened = IndexFolder.open(args.index)
        reopened.refresh_vectors()
        reopened.close()
    finally:
        folder.close()
    print(f"model is now '{args.model}'; embedded " + (", ".join(f"{n} chunks for {s}" for s, n in done.items()) or "nothing"))
    return EXIT_OK


def tcp_listener(sock: socket.socket) -> socket.socket:
    """`sock` (a bound TCP listener) marked as TCP, so the connections it accepts get TCP_NODELAY. uvicorn 0.54
    binds the socket it hands its worker processes with protocol 0, and asyncio sets TCP_NODELAY only on sockets
    that say IPPROTO_TCP: without it every answer on a kept-alive connection after the first waited ~40 ms for
    the client's delayed acknowledgement (measured: 14 requests/s for one client with 2 processes against 44 with
    one; uvicorn issue 3149)."""
    marked = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    marked.set_inheritable(True)
    return marked


def _serve_processes(workers: int, host: str, port: int) -> None:
    """uvicorn's `workers` path (a supervisor and `workers` processes on one listening socket), with the socket
    marked as TCP (`tcp_listener`)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("api.app:serving_app", factory=True, workers=workers, host=host, port=port,
                            log_level="info", timeout_keep_alive=30)
    Multiprocess(config, sockets=[tcp_listener(config.bind_socket())]).run()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from index.transfer import copy_index

    source = IndexFolder.open(args.source, dtype=settings.dtype)
    try:
        report = copy_index(source, args.destination)
    finally:
        source.close()
    if args.json:
        print_json(report.to_json())
    else:
        print(report.summary())
    return EXIT_OK


def cmd_collection(args: argparse.Namespace, settings: Settings) -> int:
    folder = open_index(args, settings)
    try:
        moved = set(folder.store.set_collection(args.document_id, args.to))
    finally:
        folder.close()
    for doc_id in args.document_id:
        print(f"{doc_id}: {'moved to' if doc_id in moved else 'already in'} {args.to}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    folder = open_index(args, settings)
    try:
        writer = IndexWriter(folder)
        for doc_id in args.document_id:
            writer.remove(doc_id)
            print(f"removed {doc_id}")
        folder.refresh_vectors(load=False)
    finally:
        folder.close()
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from search.retrieval.evaluate import build_index, evaluate, load_beir

    collection = load_beir(args.dataset, args.split)
    if not args.json:
        print(f"{len(collection.corpus)} documents, {len(collection.queries)} {args.split} queries; "
              f"indexing with model '{args.model}' …", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="cwg-eval-") as tmp:
        path = args.keep_index or Path(tmp) / "index"
        folder, report = build_index(collection, path, model=args.model, dtype=settings.dtype)
        try:
            result = evaluate(collection, folder, mode=args.mode)
        finally:
            folder.close()
    if report.failed:
        _stderr(f"{len(report.failed)} corpus entries could not be indexed (first: {report.failed[0][1]})")
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    data = result.to_json()
    print(f"{args.dataset.name} ({args.split}, {result.queries} queries, mode {args.mode}, model {args.model})")
    for name in ("ndcg@10", "recall@100", "mrr@10"):
        print(f"  {name:<11} {data[name]:.4f}")
    print(f"  latency     p50 {result.latency_p50_ms:.1f} ms, p95 {result.latency_p95_ms:.1f} ms per query")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Open the index here (so a missing one is a clean CLI error), then run the app under uvicorn."""
    import uvicorn

    from api.app import create_app
    from api.service import serving_processes

    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    if args.workers is not None and not 1 <= args.workers <= 64:
        raise UsageError("--workers must be between 1 and 64")
    workers = serving_processes(replace(settings, workers=args.workers or settings.workers))
    settings = replace(settings, workers=workers)
    folder = open_index(args, settings)
    if workers > 1:
        # Each worker process opens the index itself (app from the environment); they share the store
        # as any processes do: one writer at a time, readers in their own snapshots, caches per generation.
        path = folder.location
        folder.close()
        os.environ.update({"CWG_INDEX": str(path), "CWG_WORKERS": str(workers), "CWG_DTYPE": settings.dtype})
        print(f"serving {safe_location(path)} on http://{args.host}:{args.port}/ with {workers} processes", file=sys.stderr)
        _serve_processes(workers, args.host, args.port)
        return EXIT_OK
    try:
        app = create_app(settings, folder, prepare=True)
        print(f"serving {safe_location(folder.location)} on http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
        # keep idle connections 30 s (uvicorn's 5 s default races clients that reuse them under load)
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_keep_alive=30)
    finally:
        folder.close()
    return EXIT_OK


# --- arguments, and the table api/cli.py builds the parser and the dispatch from -----------------------------
def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--manifest", type=Path, help="CSV/TSV/JSONL with a 'path' column and metadata columns")
    p.add_argument("--model", choices=MODEL_NAMES,
                   help="encoder set of a new index: default (English + multilingual), english (smaller, English only)")
    p.add_argument("--dtype", choices=("bfloat16", "float32"), help="encoder precision (default bfloat16)")
    p.add_argument("--collection", choices=("contributions", "library"),
                   help="the collection of every file ingested (a manifest's collection column wins; default: "
                        "contributions when a meeting is given or found, else library)")


def _search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="QUERY")
    p.add_argument("-k", type=int, default=10, help="number of passages (default 10)")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="filter, repeatable: source, country, region, doc_type, actor_type, meeting, language, "
                        "collection (contributions, library, all), date_from, date_to, theme, risk, audience, "
                        "initiative_type, curation, min_quality")
    p.add_argument("--per-source", type=int, metavar="N", help="at most N passages per source")
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    p.add_argument("--min-relevance", type=_share, metavar="P",
                   help="the estimated probability of answering under which a passage is not shown (default: the "
                        "calibrated floor; 0 shows every passage)")
    p.add_argument("--json", action="store_true")


def _share(value: str) -> float:
    """A number from 0 to 1 (argparse type)."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return number


def _similar_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--document", metavar="DOC_ID")
    group.add_argument("--text", metavar="TEXT")
    group.add_argument("--passage", metavar="CHUNK_ID", type=int, help="a passage, as a hit's chunk_id names it")
    group.add_argument("--initiative", metavar="ID", help="an initiative record (`cwg initiatives`)")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--json", action="store_true")


def _documents_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--json", action="store_true")


def _remove_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID", nargs="+")


def _collection_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID", nargs="+")
    p.add_argument("--to", choices=("contributions", "library"), required=True)


def _reindex_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=MODEL_NAMES, required=True)


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", type=index_location, required=True, metavar="INDEX",
                   help="the index to copy (a folder or a postgresql:// URI); it is only read")
    p.add_argument("--to", dest="destination", type=index_location, required=True, metavar="INDEX",
                   help="an empty index to copy into (a new folder, or an empty database)")
    p.add_argument("--json", action="store_true")


def _eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", type=Path, metavar="DATASET_DIR",
                   help="folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    p.add_argument("--model", choices=MODEL_NAMES, default="default")
    p.add_argument("--split", default="test", help="qrels file to score against (default test)")
    p.add_argument("--keep-index", type=Path, metavar="DIR",
                   help="build (or reuse and update) the evaluation index in DIR instead of a temporary folder")
    p.add_argument("--json", action="store_true")


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=None,
                   help="server processes sharing the port (default: CWG_WORKERS, else one per core, memory allowing)")


COMMANDS = (
    Command("ingest", "add or update files and folders (recursive)", _ingest_arguments, cmd_ingest),
    Command("search", "hybrid search with citations", _search_arguments, cmd_search),
    Command("similar", "similar initiatives from other sources", _similar_arguments, cmd_similar),
    Command("documents", "list indexed documents", _documents_arguments, cmd_documents),
    Command("remove", "delete a document from every part of the index", _remove_arguments, cmd_remove),
    Command("collection", "move documents to the contributions or the library (nothing is read or encoded again)",
            _collection_arguments, cmd_collection),
    Command("reindex", "re-embed stored chunks for another --model (no file is re-read)", _reindex_arguments,
            cmd_reindex),
    Command("migrate", "copy an index into a new, empty one: folder ↔ postgresql://… (no re-embedding)",
            _migrate_arguments, cmd_migrate, index=False),
    Command("eval", "retrieval quality on a BEIR-layout collection (nDCG@10, Recall@100, MRR@10)", _eval_arguments,
            cmd_eval, index=False),
    Command("serve", "HTTP API and web page (http://HOST:PORT/)", _serve_arguments, cmd_serve),
)
