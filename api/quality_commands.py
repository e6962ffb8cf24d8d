"""`cwg quality`: a document's quality profile with the curators' word on it; a curator confirms or rejects one
signal, or points at the sentence that shows it; `--train` learns from every correction of the index (issue 23).
The writes go through `search.characterization.quality.correct_signal`, as PUT /documents/{id}/quality/{signal}
does."""

from __future__ import annotations

import argparse
import getpass
import sys

from api.cli_support import EXIT_OK, Command, UsageError, open_index, print_json
from api.settings import Settings
from ingest.quality import SIGNAL_IDS

MAX_REASON = 2000


def _quality_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID", nargs="?", help="the document (not with --train)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--confirm", metavar="SIGNAL", choices=SIGNAL_IDS, help="the document shows SIGNAL")
    action.add_argument("--reject", metavar="SIGNAL", choices=SIGNAL_IDS, help="it does not show SIGNAL")
    action.add_argument("--evidence", nargs=2, metavar=("SIGNAL", "QUOTE"),
                        help="it shows SIGNAL in this sentence (a quote from its text)")
    action.add_argument("--train", action="store_true",
                        help="learn from every correction of the index and score every document again")
    p.add_argument("--reason", help="why (kept with the correction; required with a correction)")
    p.add_argument("--by", help="who decides (default: the user name)")
    p.add_argument("--json", action="store_true")


def cmd_quality(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.quality import correct_signal, quality_json, train

    correcting = args.confirm or args.reject or args.evidence
    if args.train and args.document_id:
        raise UsageError("--train learns from the whole index: give no DOC_ID")
    if not args.train and not args.document_id:
        raise UsageError("give a DOC_ID (its profile, or a correction of it), or --train")
    if correcting:
        reason = " ".join((args.reason or "").split())
        if not reason:
            raise UsageError("--reason must say why (it is kept with the correction)")
        if len(reason) > MAX_REASON:
            raise UsageError(f"--reason is longer than {MAX_REASON} characters")
        if args.evidence and args.evidence[0] not in SIGNAL_IDS:
            raise UsageError(f"--evidence: unknown signal {args.evidence[0]!r}; choose one of {', '.join(SIGNAL_IDS)}")
    folder = open_index(args, settings)
    try:
        if args.train:
            report = train(folder)
            if args.json:
                print_json({"corrections": report.corrections, "sentences": report.sentences,
                            "changed": report.changed, "documents": report.rescored.documents,
                            "bands": report.rescored.bands})
            else:
                changed = ", ".join(f"{sid} {n}" for sid, n in sorted(report.changed.items())) or "none"
                print(f"trained on {report.corrections} corrections ({report.sentences} sentences); scored "
                      f"{report.rescored.documents} documents again; verdicts changed: {changed}")
            return EXIT_OK
        if correcting:
            signal, verdict, quote = (args.confirm, "confirmed", "") if args.confirm else \
                (args.reject, "rejected", "") if args.reject else (args.evidence[0], "confirmed", args.evidence[1])
            by = " ".join((args.by or getpass.getuser() or "unknown").split())[:100]
            out = correct_signal(folder.store, args.document_id, signal, verdict, quote, reason, by)
            event = out["correction"]
            if args.json:
                print_json(out)
            else:
                quality = out["quality"]
                print(f"{event['document_id']}: {event['signal']} {event['verdict']} by {event['by']} at "  # type: ignore[index]
                      f"{event['at']}; score now {quality['score']}", file=sys.stderr)  # type: ignore[index]
            return EXIT_OK
        with folder.store.snapshot():
            profile = quality_json(folder.store, args.document_id)
            history = folder.store.quality_corrections(args.document_id)
    finally:
        folder.close()
    if args.json:
        print_json({"document_id": args.document_id, **profile, "corrections": history})
        return EXIT_OK
    print(f"{args.document_id}: quality {profile['score']} ({profile['band']})")
    for s in profile["signals"]:  # type: ignore[attr-defined]
        said = f"  [curator: {s['curator']['verdict']}, {s['curator']['reason']}]" if s["curator"] else ""
        shown = f"«{' '.join(s['evidence']['text'].split())[:100]}»" if s["evidence"] else "missing"
        print(f"  {s['id']:11s} {shown}{said}")
    return EXIT_OK


COMMANDS = (
    Command("quality", "a document's quality signals; a curator confirms, rejects or quotes one "
                       "(--confirm/--reject/--evidence), --train learns from the corrections", _quality_arguments,
            cmd_quality),
)
