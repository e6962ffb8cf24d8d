"""`cwg tag`, `cwg matrix`, `cwg meetings`, `cwg trends`, `cwg brief` and `cwg synthesize`: characterization,
comparison and thematic synthesis.

Each command's arguments are beside the function that runs it; `COMMANDS` lists them for api/cli.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli_support import EXIT_OK, Command, UsageError, open_index, print_json, write_output
from api.settings import Settings
from index.filters import LABEL_FACETS, Filters

WHERE_HELP = ("filter, repeatable: source, country, region, doc_type, actor_type, meeting, language, date_from, date_to, "
              "theme, risk, audience, initiative_type, curation, min_quality")


def cmd_tag(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.quality import quality_reader, rescore
    from search.characterization.tagging import Tagger
    from search.characterization.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(args.taxonomy)
    folder = open_index(args, settings)
    try:
        report = Tagger(folder, taxonomy).tag()
        quality = rescore(folder.store, args.signals, quality_reader(folder))  # by meaning where it can
        evidence = {}
        if args.show:
            ids = [a.evidence_chunk_id for a in report.assigned if a.evidence_chunk_id is not None]
            evidence = folder.store.chunks_by_id(ids)
    finally:
        folder.close()
    if args.json:
        print_json({**report.to_json(), "quality": {"documents": quality.documents, "bands": quality.bands}})
        return EXIT_OK
    if args.show:
        by_doc: dict[str, list] = {}  # type: ignore[type-arg]
        for a in report.assigned:
            by_doc.setdefault(a.document_id, []).append(a)
        for doc_id in sorted(by_doc):
            print(doc_id)
            for a in by_doc[doc_id]:
                chunk = evidence.get(a.evidence_chunk_id) if a.evidence_chunk_id is not None else None
                snippet = " ".join(chunk.text.split())[:90] if chunk else ""
                print(f"   {a.facet}={a.label} ({a.score:.2f})  «{snippet}»")
    print(f"tagged {report.documents} documents ({report.chunks} passages) with {taxonomy.source}")
    for facet, counts in report.counts.items():
        listed = ", ".join(f"{label} {n}" for label, n in counts.items())
        print(f"  {facet}: {listed}")
    print(f"scored the quality of {quality.documents} documents with {quality.signals}: "
          + ", ".join(f"{band} {n}" for band, n in quality.bands.items()))
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.matrix import build_matrix, render_matrix
    from search.characterization.tagging import taxonomy_for

    filters = Filters.parse(args.where)
    folder = open_index(args, settings)
    try:
        if not folder.store.has_labels():
            print("note: this index has no labels yet; run `cwg tag` first", file=sys.stderr)
        matrix = build_matrix(folder.store, args.rows, args.cols, filters, taxonomy_for(folder.store, args.taxonomy),
                              member_states_only=not args.all_actors, count=args.count)
    finally:
        folder.close()
    write_output(args.out, render_matrix(matrix, args.format))
    return EXIT_OK


def cmd_initiatives(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.initiative_corrections import correct
    from search.characterization.initiatives import render, select, split_where, stored_initiatives
    from search.characterization.tagging import taxonomy_for

    folder = open_index(args, settings)
    try:
        store = folder.store
        taxonomy = taxonomy_for(store)
        if args.correct:
            if not args.field:
                raise UsageError("--correct ID needs --field FIELD and --value VALUE")
            item = correct(store, args.correct, args.field, args.value, args.by, args.reason, taxonomy)
            print(f"corrected {item.id}: {args.field} = {getattr(item, args.field)!r}", file=sys.stderr)
            items = [item]
        else:
            filters, own = split_where(args.where)
            if not stored_initiatives(store):
                print("note: no initiatives recorded yet; run `cwg tag` first", file=sys.stderr)
            items = select(store, filters, own, taxonomy)
    finally:
        folder.close()
    write_output(args.out, render(items, args.format))
    return EXIT_OK


def cmd_synthesize(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.pipeline import SynthesisOptions, Synthesizer
    from search.synthesis.render import render_html, render_markdown
    from search.synthesis.render_docx import render_docx

    filters = Filters.parse(args.where)
    if args.format == "docx" and args.out is None:
        raise UsageError("--format docx needs --out FILE")
    if args.subthemes is not None and not 1 <= args.subthemes <= 10:
        raise UsageError("--subthemes must be between 1 and 10")
    llm = llm_settings(settings) if args.rewrite else None
    folder = open_index(args, settings)
    try:
        synthesis = Synthesizer(folder, taxonomy_for(folder.store, args.taxonomy)).synthesize(
            args.topic, filters, SynthesisOptions(subthemes=args.subthemes, language=args.language.strip().lower()))
        if llm is not None:
            from search.synthesis.rewrite import rewrite_synthesis

            rewrite_synthesis(synthesis, folder.embedder(folder.spaces[0]), llm)
    finally:
        folder.close()
    if args.format == "json":
        import json

        write_output(args.out, json.dumps(synthesis.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "docx":
        write_output(args.out, render_docx(synthesis))
    else:
        write_output(args.out, render_html(synthesis) if args.format == "html" else render_markdown(synthesis))
    if not synthesis.subthemes:
        print(f"no passages about {args.topic!r} in this index", file=sys.stderr)
    return EXIT_OK


def llm_settings(settings: Settings):  # type: ignore[no-untyped-def]
    from search.synthesis.rewrite import LlmSettings

    if not settings.llm_url or not settings.llm_model:
        raise UsageError("rewriting needs an OpenAI-compatible endpoint: set CWG_LLM_URL and CWG_LLM_MODEL "
                         "(and CWG_LLM_KEY if it needs one)")
    return LlmSettings(settings.llm_url, settings.llm_model, settings.llm_key)


def cmd_meetings(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.meetings import load_meetings, meeting_summaries
    from search.characterization.tagging import taxonomy_for

    meetings = load_meetings(args.meetings)
    folder = open_index(args, settings)
    try:
        taxonomy = taxonomy_for(folder.store)
        rows = [s.to_json(taxonomy) for s in meeting_summaries(folder.store, taxonomy, meetings)]
    finally:
        folder.close()
    if args.json:
        print_json({"meetings": rows})
        return EXIT_OK
    for m in rows:
        focus = ", ".join(f"{f['name']} ({'covered by ' + str(f['documents']) if f['covered'] else 'not covered'})"
                          for f in m["focus"]) or "-"  # type: ignore[attr-defined]
        kinds = ", ".join(f"{k} {n}" for k, n in m["actor_types"].items()) or "-"  # type: ignore[attr-defined]
        flag = "" if m["in_file"] else "  (not in the meetings file)"
        print(f"{m['id']:12} {m['date'] or '?':10} {m['status']:7} {m['documents']:3} documents  focus: {focus}; "
              f"by: {kinds}{flag}")
    return EXIT_OK


def cmd_trends(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from search.characterization.meetings import load_meetings, trends
    from search.characterization.render_trends import trends_chart, trends_csv, trends_markdown
    from search.characterization.tagging import taxonomy_for

    filters = Filters.parse(args.where)
    meetings = load_meetings(args.meetings)
    folder = open_index(args, settings)
    try:
        data = trends(folder.store, taxonomy_for(folder.store), args.facet, args.by, filters, meetings, args.count)
    finally:
        folder.close()
    if args.format in ("png", "svg"):
        chart = trends_chart(data, args.format)
        write_output(args.out, chart if args.format == "png" else chart.decode("utf-8"))
        return EXIT_OK
    text = {"md": lambda: trends_markdown(data), "csv": lambda: trends_csv(data),
            "json": lambda: json.dumps(data, ensure_ascii=False, indent=2) + "\n"}[args.format]()
    write_output(args.out, text)
    return EXIT_OK


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.meetings import load_meetings
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.brief import brief, brief_docx, brief_html, brief_json, brief_markdown

    meetings = load_meetings(args.meetings)
    if args.format == "docx" and args.out is None:
        raise UsageError("--format docx needs --out FILE")
    folder = open_index(args, settings)
    try:
        data = brief(folder, taxonomy_for(folder.store), args.meeting, meetings)
    finally:
        folder.close()
    render = {"md": brief_markdown, "html": brief_html, "docx": brief_docx, "json": brief_json}[args.format]
    write_output(args.out, render(data))
    return EXIT_OK


# --- arguments, and the table api/cli.py builds the parser and the dispatch from -----------------------------
def _tag_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--taxonomy", type=Path, metavar="FILE", help="taxonomy YAML (default: the shipped one)")
    p.add_argument("--signals", type=Path, metavar="FILE",
                   help="quality signals YAML to score documents with (default: the shipped ingest/quality.yaml)")
    p.add_argument("--show", action="store_true", help="list each document's labels with their evidence")
    p.add_argument("--json", action="store_true")


def _matrix_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", choices=("country", "source", "region", "actor_type"), default="country")
    p.add_argument("--all-actors", action="store_true",
                   help="with --rows country: count every document by its country, organisations by where they "
                        "are based (default: member states' documents only)")
    p.add_argument("--cols", choices=LABEL_FACETS, default="theme")
    p.add_argument("--count", choices=("documents", "initiatives"), default="documents",
                   help="what a cell counts: documents carrying the label, or initiative records (`cwg initiatives`)")
    p.add_argument("--format", choices=("csv", "json", "md"), default="md")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help=WHERE_HELP)
    p.add_argument("--taxonomy", type=Path, metavar="FILE",
                   help="taxonomy YAML, for label names and order (default: the one `cwg tag` used)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of the terminal")


def _initiatives_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="document filters as for search, and the initiative's own fields: initiative_type, "
                        "audience, risk, status (planned, running, completed, evaluated), year, name")
    p.add_argument("--format", choices=("json", "csv", "md"), default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of the terminal")
    p.add_argument("--correct", metavar="ID", help="correct one field of the initiative ID (a curator's edit)")
    p.add_argument("--field", choices=("name", "initiative_type", "audience", "risk", "status", "year"))
    p.add_argument("--value", default="", help="the new value (audience, risk: labels separated by ';')")
    p.add_argument("--by", default="curator", help="who corrects (kept in the history)")
    p.add_argument("--reason", default="", help="why (kept in the history)")


def _meetings_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--meetings", type=Path, metavar="FILE", help="meetings YAML (default: the shipped one)")
    p.add_argument("--json", action="store_true")


def _trends_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--facet", choices=(*LABEL_FACETS, "actor_type"), default="theme")
    p.add_argument("--by", choices=("meeting", "year"), default="meeting")
    p.add_argument("--count", choices=("documents", "initiatives"), default="documents",
                   help="what is counted: documents, or initiative records (with --facet initiative_type, audience "
                        "or risk)")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help=WHERE_HELP)
    p.add_argument("--format", choices=("md", "csv", "json", "png", "svg"), default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (required for png)")
    p.add_argument("--meetings", type=Path, metavar="FILE", help="meetings YAML, for the dates of meetings")


def _brief_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--meeting", required=True, metavar="ID", help="e.g. CWG-COP-21 (see `cwg meetings`)")
    p.add_argument("--format", choices=("md", "html", "docx", "json"), default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (required for docx)")
    p.add_argument("--meetings", type=Path, metavar="FILE", help="meetings YAML (default: the shipped one)")


def _synthesize_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("topic", metavar="TOPIC", help="a taxonomy label (id or name) or free text")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help=WHERE_HELP)
    p.add_argument("--format", choices=("md", "html", "docx", "json"), default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (required for docx)")
    p.add_argument("--subthemes", type=int, metavar="N", help="number of sub-themes (default: chosen from the data)")
    p.add_argument("--language", default="", metavar="CODE",
                   help="of a contribution in several languages, quote the version in this one (ISO 639, e.g. fr)")
    p.add_argument("--taxonomy", type=Path, metavar="FILE",
                   help="taxonomy YAML (default: the one `cwg tag` used, else the shipped one)")
    p.add_argument("--rewrite", action="store_true",
                   help="rewrite summaries into prose with the LLM endpoint of CWG_LLM_URL / CWG_LLM_MODEL "
                        "(each sentence checked against its citation)")


COMMANDS = (
    Command("tag", "characterize every document against the taxonomy", _tag_arguments, cmd_tag),
    Command("matrix", "documents per country/source/region/actor type × taxonomy facet", _matrix_arguments,
            cmd_matrix),
    Command("initiatives", "the initiatives each document describes (kind, audience, risk, status, year), "
                           "each field with its evidence; --correct to fix one", _initiatives_arguments,
            cmd_initiatives),
    Command("meetings", "the group's meetings in date order, with their documents and whether their theme focus "
                        "is covered", _meetings_arguments, cmd_meetings),
    Command("trends", "documents per label per meeting or year, with shares", _trends_arguments, cmd_trends),
    Command("brief", "briefing pack for a meeting: earlier contributions on its focus, the synthesis, who has not "
                     "contributed, its own contributions", _brief_arguments, cmd_brief),
    Command("synthesize", "grounded thematic synthesis with citations", _synthesize_arguments, cmd_synthesize),
)
