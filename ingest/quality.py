"""The quality profile of a contribution: which of the quality signals (ingest/quality.yaml) its text shows,
each with its evidence (a sentence, its page and its place in the text) or a hint of what is missing, and a
score in [0, 1] (the weights of the signals found over all weights).

A signal is found in a sentence that holds one of its cues, or stands under a heading (or after a lead-in)
that names the signal, and satisfies its detector when it has one (a figure, a named initiative or
organisation, a link, a verb in the past). Headings, labels, questions and the template's own words are never
evidence (ingest/quality_structure.py). The evidence is the sentence with the most cues (the earliest on a
tie). Text only, no model: it runs at ingest and again with `cwg tag`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ingest.errors import CwgError
from ingest.organisations import find_organisation
from ingest.quality_meaning import CUE_FEATURES, VETO, Encode, MeaningModel, spread
from ingest.quality_structure import Passage, passage_text, read_passages, words_of
from ingest.text_facts import figures, initiative_names

SIGNAL_IDS = ("objective", "initiative", "audience", "results", "figures", "evaluation", "lessons", "partners",
              "resources", "next_steps")
QUALITY_VERDICTS = ("confirmed", "rejected")  # a curator's word on one signal of one document
DETECTORS = ("figure", "name", "link", "past", "stated")
BANDS = (("high", 0.7), ("medium", 0.4), ("low", 0.0))  # quality bands: score from this value up
QUALITY_BAND_NAMES = {"high": "High (0.7 and above)", "medium": "Medium (0.4 to 0.7)", "low": "Low (below 0.4)"}
TEMPLATE_TITLE = "Contribution to the Council Working Group on Child Online Protection"
TEMPLATE_INTRO = ("Each heading below is what readers of the repository look for. A contribution that answers them "
                  "is easier to find, to compare and to select as a good practice.")
PER_SENTENCES = 200  # see `needed`
_ENOUGH = 3  # cues in one sentence after which a signal's evidence is not looked for further
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_LINK = re.compile(r"https?://\S+|\bwww\.\S+|\b[\w.\-]+@[\w\-]+\.[\w.]+")
_PAST = re.compile(r"\b(\w{3,}ed|was|were|has been|have been|had|took|held|ran|began|grew|won|made|led|gave|met|"
                   r"brought|built|taught|sent|became|now has|now covers|ont été|a été|fueron|fue|foram|foi)\b",
                   re.IGNORECASE)
_FUTURE = re.compile(r"\b(will|would|shall|plans? to|aims? to|intends? to|is to be|are to be|should|could)\b",
                     re.IGNORECASE)
_CAPITALISED_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][\w&'’\-]+\s+){1,5}[A-Z][\w&'’\-]+|\b[A-Z]{3,}\b")


class QualityError(CwgError):
    """A quality-signals file that cannot be used (the message names the file and the signal)."""


@dataclass(frozen=True)
class Signal:
    id: str
    name: str
    question: str
    hint: str
    weight: float
    cues: re.Pattern[str] | None  # None: the detector alone decides
    needs: str = ""
    first_words: frozenset[str] = frozenset()  # a sentence without one of these cannot match a phrase cue …
    has_regex: bool = False  # … unless a regular-expression cue matches
    headings: re.Pattern[str] | None = None  # a heading (or lead-in) that names the signal: the text below shows it
    requires: re.Pattern[str] | None = None  # a sentence counts only when it (or its heading) holds one of these


@dataclass(frozen=True)
class SignalSet:
    signals: tuple[Signal, ...]
    version: str  # a digest of the file: a profile computed with other signals is recomputed
    template: frozenset[str] = frozenset()  # the template's questions, hints and introduction (never evidence)

    def get(self, signal_id: str) -> Signal:
        return next(s for s in self.signals if s.id == signal_id)


@dataclass(frozen=True)
class Evidence:
    text: str
    page: int | None
    char_start: int  # in the document's text
    char_end: int


@dataclass(frozen=True)
class SignalResult:
    id: str
    name: str
    found: bool
    evidence: Evidence | None
    hint: str

    def to_json(self) -> dict[str, object]:
        evidence = None if self.evidence is None else {
            "text": self.evidence.text, "page": self.evidence.page,
            "char_start": self.evidence.char_start, "char_end": self.evidence.char_end}
        return {"id": self.id, "name": self.name, "found": self.found, "evidence": evidence,
                "hint": None if self.found else self.hint}


@dataclass(frozen=True)
class QualityProfile:
    score: float
    signals: tuple[SignalResult, ...]
    version: str

    @property
    def band(self) -> str:
        return quality_band(self.score)

    def reasons(self) -> list[str]:
        """Why the score: the signals found, then what is missing."""
        found = [s.name for s in self.signals if s.found]
        missing = [s.name for s in self.signals if not s.found]
        out = [f"shows: {', '.join(found)}"] if found else []
        if missing:
            out.append(f"missing: {', '.join(missing)}")
        return out

    def to_json(self) -> dict[str, object]:
        return {"score": self.score, "band": self.band, "reasons": self.reasons(),
                "signals": [s.to_json() for s in self.signals]}


def quality_band(score: float | None) -> str:
    if score is None:
        return ""
    return next(name for name, floor in BANDS if score >= floor)


def default_signals_path() -> Path:
    return Path(str(importlib.resources.files("ingest") / "quality.yaml"))


def _cue_pattern(cues: list[str], where: str) -> re.Pattern[str]:
    """One pattern for a signal's cues: the phrases as one word-bounded alternation (fast to scan), then
    the regular expressions."""
    phrases, expressions = [], []
    for cue in cues:
        cue = str(cue)
        if cue.startswith("re:"):
            body = cue[3:]
            try:
                re.compile(body)
            except re.error as exc:
                raise QualityError(f"{where}: cue {cue!r} is not a regular expression: {exc}") from exc
            expressions.append(f"(?:{body})")
        elif cue.strip():
            phrases.append(r"\s+".join(re.escape(w) for w in cue.split()))
    if not phrases and not expressions:
        raise QualityError(f"{where}: no cues")
    parts = [r"\b(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?!\w)"] if phrases else []
    return re.compile("|".join(parts + expressions), re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def _load(path: str, digest: str) -> SignalSet:
    where = path
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QualityError(f"{where}: cannot read the quality signals: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("signals"), list):
        raise QualityError(f"{where}: expected a mapping with a `signals` list")
    signals = []
    for n, item in enumerate(data["signals"], start=1):
        if not isinstance(item, dict):
            raise QualityError(f"{where}: signal {n} is not a mapping")
        sid = str(item.get("id", ""))
        at = f"{where}: signal {sid or n}"
        if sid not in SIGNAL_IDS:
            raise QualityError(f"{at}: the id must be one of {', '.join(SIGNAL_IDS)}")
        needs = str(item.get("needs", "") or "")
        if needs and needs not in DETECTORS:
            raise QualityError(f"{at}: `needs` must be one of {', '.join(DETECTORS)}")
        try:
            weight = float(item.get("weight", 1.0))
        except (TypeError, ValueError) as exc:
            raise QualityError(f"{at}: weight {item.get('weight')!r} is not a number") from exc
        if not 0 <= weight <= 10:
            raise QualityError(f"{at}: weight must be between 0 and 10")
        cues = item.get("cues") or []
        if not isinstance(cues, list) or (not cues and not needs):
            raise QualityError(f"{at}: `cues` must be a list of phrases (or empty with `needs`)")
        headings = item.get("headings") or []
        if not isinstance(headings, list):
            raise QualityError(f"{at}: `headings` must be a list of phrases")
        requires = item.get("requires") or []
        if not isinstance(requires, list):
            raise QualityError(f"{at}: `requires` must be a list of phrases")
        phrases = [str(c) for c in cues if not str(c).startswith("re:")]
        signals.append(Signal(sid, str(item.get("name") or sid), str(item.get("question") or ""),
                              str(item.get("hint") or ""), weight, _cue_pattern(cues, at) if cues else None,
                              needs, frozenset(p.split()[0].lower() for p in phrases if p.split()),
                              any(str(c).startswith("re:") for c in cues),
                              _cue_pattern(headings, f"{at} headings") if headings else None,
                              _cue_pattern(requires, f"{at} requires") if requires else None))
    ids = [s.id for s in signals]
    if sorted(ids) != sorted(SIGNAL_IDS):
        missing = sorted(set(SIGNAL_IDS) - set(ids))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise QualityError(f"{where}: every signal once: missing {missing or 'none'}, repeated {repeated or 'none'}")
    if sum(s.weight for s in signals) <= 0:
        raise QualityError(f"{where}: the weights add up to 0")
    order = {sid: i for i, sid in enumerate(SIGNAL_IDS)}
    template = [TEMPLATE_INTRO] + [text for s in signals for text in (s.question, s.hint)]
    sentences = {words_of(part) for text in template for part in re.split(r"(?<=[.?!])\s+", text)}
    return SignalSet(tuple(sorted(signals, key=lambda s: order[s.id])), digest,
                     frozenset(t for t in sentences if len(t.split()) >= 3))


def load_signals(path: Path | str | None = None) -> SignalSet:
    """The quality signals of `path` (the shipped ingest/quality.yaml when None), checked."""
    target = Path(path) if path is not None else default_signals_path()
    try:
        digest = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise QualityError(f"{target}: cannot read the quality signals: {exc}") from exc
    return _load(str(target), digest)


def _has_name(sentence: str) -> bool:
    return bool(initiative_names(sentence) or find_organisation(sentence) or _CAPITALISED_NAME.search(sentence))


def _detected(needs: str, sentence: str) -> int:
    """How many hits the detector alone finds (for a signal without cues)."""
    if needs == "figure":
        return len(figures(sentence))
    if needs == "link":
        return len(_LINK.findall(sentence))
    return int(_satisfies(needs, sentence))


def _satisfies(needs: str, sentence: str) -> bool:
    if needs == "figure":
        return bool(figures(sentence))
    if needs == "name":
        return _has_name(sentence)
    if needs == "link":
        return bool(_LINK.search(sentence))
    if needs == "past":
        return bool(_PAST.search(sentence)) and not _FUTURE.search(sentence)
    if needs == "stated":
        return not _FUTURE.search(sentence)
    return True


def cue_hit(signal: Signal, sentence: str, words: set[str], context: str) -> tuple[int, bool]:
    """How many of the signal's cues (or detector hits) `sentence` holds, counting a heading or lead-in that
    names the signal as one, and whether the sentence satisfies the signal's detector."""
    count = 0
    if signal.cues is None:
        count = _detected(signal.needs, sentence)
    elif signal.has_regex or words & signal.first_words:  # else no cue can match: skip the expression
        count = len(signal.cues.findall(sentence))
    if context and signal.headings is not None and signal.headings.search(context):
        count += 1  # under "Lessons learned", a sentence that states something is a lesson
    ok = signal.cues is None or _satisfies(signal.needs, sentence)
    if signal.requires is not None and not signal.requires.search(f"{context} {sentence}"):
        ok = False  # "UNICEF, ITU and ECPAT are active in this field" names organisations, no working relation
    return count, ok


def passage_words(sentence: str) -> set[str]:
    return set(_WORD.findall(sentence.lower()))


def assess(text: str, pages: list[tuple[int, int, int | None]] | None = None,
           signals: SignalSet | None = None, encode: Encode | None = None,
           model: MeaningModel | None = None) -> QualityProfile:
    """The quality profile of a document's text. `pages`: (char_start, char_end, page) spans (its chunks),
    to give each evidence its page. With `encode` (the multilingual encoder, from the index floor) and a
    meaning model, the signals the model decides are found by what sentences say (ingest/quality_meaning.py);
    without, by the cue lists alone."""
    signals = signals or load_signals()
    passages = spread(read_passages(text, signals.template))
    if encode is not None and model is not None and passages:
        chosen = _by_meaning(text, passages, signals, encode, model)
    else:
        chosen = _by_cues(text, passages, signals)
    results = []
    for signal in signals.signals:
        found = chosen.get(signal.id)
        evidence = None
        if found is not None:
            start, end = found
            evidence = Evidence(text[start:end], _page_at(pages, start), start, end)
        results.append(SignalResult(signal.id, signal.name, found is not None, evidence, signal.hint))
    version = signals.version if encode is None or model is None else f"{signals.version}+{model.digest}"
    return QualityProfile(score_of(signals, {r.id for r in results if r.found}), tuple(results), version)


def score_of(signals: SignalSet, found: set[str]) -> float:
    """The weights of the signals found over all weights."""
    total = sum(s.weight for s in signals.signals)
    return round(sum(s.weight for s in signals.signals if s.id in found) / total, 4)


def cue_features(text: str, passages: list[Passage], signals: SignalSet) -> np.ndarray:
    """(passages, signals, CUE_FEATURES): whether the cue lists take the sentence as evidence (a cue, a heading or
    the detector, and the detector satisfied), whether it satisfies the detector, and its cues (up to 3, over 3)."""
    out = np.zeros((len(passages), len(signals.signals), len(CUE_FEATURES)), dtype=np.float32)
    for row, passage in enumerate(passages):
        sentence = text[passage.start:passage.end]
        words = passage_words(sentence)
        context = f"{passage.heading} {passage.lead}".strip()
        for col, signal in enumerate(signals.signals):
            count, ok = cue_hit(signal, sentence, words, context)
            out[row, col] = (float(count > 0 and ok), float(ok), min(count, _ENOUGH) / _ENOUGH)
    return out


def sentence_scores(text: str, passages: list[Passage], signals: SignalSet, encode: Encode,
                    model: MeaningModel) -> tuple[np.ndarray, np.ndarray]:
    """The classifiers' probabilities (passages, signals, in the signal file's order) and the cue features."""
    cues = cue_features(text, passages, signals)
    vectors = encode([passage_text(text, p) for p in passages])
    if vectors.shape[1] != model.dimension:
        raise QualityError(f"the quality model reads {model.dimension}-d vectors ({model.model_id}); "
                           f"the encoder gave {vectors.shape[1]}-d")
    rows = [model.signal_ids.index(s.id) for s in signals.signals]
    sub = MeaningModel(tuple(s.id for s in signals.signals), model.weights[rows], model.bias[rows],
                       model.thresholds[rows], model.decides, model.model_id, model.trained_on, model.digest,
                       model.either)
    return sub.probabilities(vectors, cues), cues


def _by_meaning(text: str, passages: list[Passage], signals: SignalSet, encode: Encode,
                model: MeaningModel) -> dict[str, tuple[int, int]]:
    """signal → the span of its evidence. The classifier decides the signals it beat the cue lists on (a sentence
    counts when it scores the signal's threshold or more); the cue lists decide the others. Either way enough
    sentences must count (`needed`), and the evidence is the one the classifier scores highest."""
    probs, cues = sentence_scores(text, passages, signals, encode, model)
    enough = needed(len(passages))
    out: dict[str, tuple[int, int]] = {}
    for col, signal in enumerate(signals.signals):
        p = probs[:, col]
        if signal.id in model.decides:
            taken = p >= model.thresholds[model.signal_ids.index(signal.id)]
            if signal.requires is not None:
                taken &= cues[:, col, 1] > 0  # the sentence must hold what the signal requires
            if signal.id in model.either:
                taken |= (cues[:, col, 0] > 0) & (p >= VETO)
            counted = np.flatnonzero(taken)
        else:
            counted = np.flatnonzero(cues[:, col, 0])
        if len(counted) < enough:
            continue
        row = int(counted[np.argmax(p[counted])])
        out[signal.id] = (passages[row].start, passages[row].end)
    return out


def needed(passages: int) -> int:
    """Sentences that must show a signal in a document read through `passages` sentences: one, and one more per
    `PER_SENTENCES` (a long report is judged by how densely it shows a signal, not by whether one of its
    thousands of sentences holds the words)."""
    return 1 + passages // PER_SENTENCES


def _by_cues(text: str, passages: list[Passage], signals: SignalSet) -> dict[str, tuple[int, int]]:
    """signal → the span of its evidence: the sentence with the most cues (the earliest on a tie), when enough
    sentences show it."""
    best: dict[str, tuple[int, int, int]] = {}  # signal → (cue count, start, end)
    hits: dict[str, int] = {}
    enough = needed(len(passages))
    for passage in passages:
        start, end = passage.start, passage.end
        sentence = text[start:end]
        words = passage_words(sentence)
        context = f"{passage.heading} {passage.lead}".strip()
        for signal in signals.signals:
            if best.get(signal.id, (0,))[0] >= _ENOUGH and hits[signal.id] >= enough:
                continue  # a sentence with several cues is evidence enough (and keeps a 300-page scan short)
            count, ok = cue_hit(signal, sentence, words, context)
            if not count or not ok:
                continue
            hits[signal.id] = hits.get(signal.id, 0) + 1
            current = best.get(signal.id)
            if current is None or count > current[0]:
                best[signal.id] = (count, start, end)
    return {sid: (start, end) for sid, (_, start, end) in best.items() if hits[sid] >= enough}


def locate_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` stands in `text` (its words in order, any whitespace between them, any case), or None."""
    words = quote.split()
    if not words:
        return None
    found = re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def apply_corrections(profile: QualityProfile, corrections: list[dict[str, str]], text: str,
                      pages: list[tuple[int, int, int | None]] | None = None,
                      signals: SignalSet | None = None) -> QualityProfile:
    """`profile` with the curators' word for the signals they corrected (the latest correction of each wins): a
    confirmed signal is found, with the quoted sentence as its evidence when a quote is given (and found in
    `text`); a rejected one is not. The score is computed again."""
    signals = signals or load_signals()
    latest = {c["signal"]: c for c in corrections}
    results = []
    for result in profile.signals:
        correction = latest.get(result.id)
        if correction is None:
            results.append(result)
        elif correction["verdict"] == "rejected":
            results.append(SignalResult(result.id, result.name, False, None, result.hint))
        else:
            evidence = result.evidence
            span = locate_quote(text, correction.get("quote") or "")
            if span is not None:
                evidence = Evidence(text[span[0]:span[1]], _page_at(pages, span[0]), span[0], span[1])
            results.append(SignalResult(result.id, result.name, True, evidence, result.hint))
    found = {r.id for r in results if r.found}
    return QualityProfile(score_of(signals, found), tuple(results), profile.version)


def stored_profile(score: float | None, rows: list[dict[str, object]], signals: SignalSet | None = None
                   ) -> QualityProfile:
    """A profile from a store's quality signal rows (as `Store.quality_signals` gives them)."""
    signals = signals or load_signals()
    by_id = {str(r["id"]): r for r in rows}
    results = []
    for signal in signals.signals:
        row = by_id.get(signal.id, {})
        evidence = None
        if row.get("found") and row.get("evidence"):
            evidence = Evidence(str(row["evidence"]), row.get("page"), int(row.get("char_start") or 0),  # type: ignore[arg-type]
                                int(row.get("char_end") or 0))  # type: ignore[call-overload]
        results.append(SignalResult(signal.id, signal.name, bool(row.get("found")), evidence, signal.hint))
    return QualityProfile(score if score is not None else score_of(signals, {r.id for r in results if r.found}),
                          tuple(results), signals.version)


def _page_at(pages: list[tuple[int, int, int | None]] | None, offset: int) -> int | None:
    for start, end, page in pages or []:
        if start <= offset < end:
            return page
    return None
