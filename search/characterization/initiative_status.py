"""An initiative's status read from what its text says about it (planned, running, completed, evaluated).

Each sentence of the initiative's passages votes for the statuses whose wording it holds (English, French, Spanish,
Portuguese, Russian; Arabic and Chinese wording is matched without word boundaries, which those scripts do not mark): future or proposal wording for `planned`, present operation for `running`, past delivery with an end
for `completed`, an evaluation with a finding (a comparison group, a before/after change) for `evaluated`. A
sentence naming the initiative (an anchor) weighs most, the one after it next (it usually goes on describing it);
a strong cue ("will enter into force", "was held", "control group") counts twice a weak one ("will", "launched").
Wording under a "next steps" heading speaks of what comes after the initiative, not of it, and counts little.
An evaluation needs more than one cue (a report's mention of "impact assessment" is no evaluation of it); a
described initiative the text gives no other status for is `running`. Chosen on the dev documents of
bench/labels/initiatives (bench/initiatives_eval.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# the one vocabulary of an initiative's status (id → what people read)
STATUSES = {"planned": "Planned", "running": "Running", "completed": "Completed", "evaluated": "Evaluated"}
DEFAULT_STATUS = "running"  # a described initiative with no other wording about it is in operation
EVALUATED_MIN = 4.0  # weighted cue score from which the text reports an evaluation of the initiative
ANCHOR_WEIGHT, NEXT_WEIGHT, OTHER_WEIGHT, AFTERWARDS_WEIGHT = 3.0, 2.0, 1.0, 0.25


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


_PERCENT = r"\d[\d.,]*\s?%"
# status → (strong cues, weak cues)
_CUES: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {
    "evaluated": (_rx(
        r"evaluation (?:was|has been) (?:conducted|carried out)|(?:the|an|independent|impact) evaluation (?:found|showed"
        r"|shows)|(?:was|were|has been) evaluated|independent evaluation|impact evaluation|control group"
        r"|comparison (?:group|schools)|intervention schools|(?:rose|fell|increased|decreased|dropped) from "
        rf"{_PERCENT} to|l'évaluation a été (?:conduite|réalisée|menée)|a été évaluée?|groupe témoin"
        rf"|passe de {_PERCENT}[^.;]{{0,60}}à {_PERCENT}|la evaluación (?:mostró|encontró)|fue evaluad[oa]"
        rf"|grupo de control|pas[óa] del? {_PERCENT}|a avaliação (?:mostrou|constatou)|foi avaliad[oa]"
        rf"|grupo de controle|passou de {_PERCENT}|оценка показала|контрольн\w* групп\w*|был[аио]? оценен\w*"), None),
    "planned": (_rx(
        r"will (?:be )?(?:launch(?:ed)?|enter into force|come into force|set up|establish(?:ed)?|introduc(?:e|ed)"
        r"|creat(?:e|ed))|not yet in force|plans? to|planned|is being developed|are being developed|in preparation"
        r"|under development|draft(?:ing)? (?:law|bill|decree|regulation)|proposes?|suggests? that"
        r"|intends? to|is preparing|en préparation|projet de (?:loi|décret)|envisagée?s?|prévoit|prévue?s?|futur"
        r"|entamé la préparation|sera (?:lancée?|mise? en place|créée?)|en preparación|proyecto de (?:ley|decreto)"
        r"|prevé|previst[oa]|planea|se lanzará|está preparando|em preparação|projeto de (?:lei|decreto)|prevê"
        r"|planeja|será lançad[oa]|propõe|законопроект\w*|проект\w* закона|планируется|предлагается|предусматривается"
        r"|находится на рассмотрении|будет (?:запущен\w*|создан\w*|принят\w*)"),
        _rx(r"will|would|aims to|sera|seront|será|serán|будет|будут|позволит")),
    "completed": (_rx(
        r"completed|concluded|was held|were held|took place|(?:was|were) carried out|carried out an?|were trained"
        r"|have been trained|trained \d[\d,]*|organi[sz]ed (?:an?|the)|was organi[sz]ed|published|(?:has|have) developed"
        r"|ended|finished|a eu lieu|ont été formés|a été (?:organisée?|réalisée?)|a organisé|s'est tenue?|ont suivi"
        r"|a publié|a élaboré|se llevó a cabo|se celebró|celebrado|organizó|realizó|se realizó|publicó"
        r"|ha elaborado|se reunieron|se desarrolló|foi realizad[oa]|realizou|organizou|publicou|foram formados"
        r"|decorreu|был[аио]? проведен\w*|состоял(?:ся|ась|ось|ись)|завершен\w*|опубликован\w*|прошл[иао]"), None),
    "running": (_rx(
        r"operates|is operated|runs|is run|(?:is|are) (?:now )?available|ongoing|continues to|currently"
        r"|(?:since|depuis|desde) (?:\w+ ){0,2}\d{4}"
        r"|in force|brings together|offers|provides|has been running|is active|fonctionne|(?:est|sont) disponibles?"
        r"|en cours|en vigueur|offre|réunit|funciona|está disponible|en curso|en vigor|ofrece|reúne"
        r"|en marcha|está disponível|em curso|em vigor|oferece|действует|функционирует|работает|доступ\w*"),
        _rx(r"launched|established|promotes|supports|lancée?|creó|lançou|introduced|invests|запущен\w*|создан\w*")),
}
# the same in Arabic and Chinese (no word boundaries): status → (strong, weak)
_UNSPACED: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {
    "evaluated": (re.compile(r"أظهر التقييم|مجموع[ةت] ضابط[ةت]|تم تقييم|评估显示|评估表明|对照组"), None),
    "planned": (re.compile(r"مشروع قانون|من المقرر|تعتزم|يعتزم|سيتم إطلاق|草案|计划于|将于|将推出|正在制定"),
                re.compile(r"سوف|سيتم|将")),
    "completed": (re.compile(r"أقيم|اختتم|تم تنفيذ|نظمت|نُظمت|تم نشر|已完成|举办了|召开了|发布了|已发布"), None),
    "running": (re.compile(r"مستمر[ةت]?|تواصل|متاح[ةت]?|تعمل|يعمل|施行|持续|正在|已上线|运行"),
                re.compile(r"أطلق|دشن|推出|启动")),
}
_AFTERWARDS = re.compile(r"^\W*(?:\d+\.?\s*)?(?:next steps?|future (?:developments?|work|plans)|way forward|follow-up"
                         r"|suite du programme|prochaines étapes|perspectives|próximos pasos|seguimiento|próximos passos"
                         r"|дальнейшие шаги)\b|^\W*(?:الخطوات (?:التالية|المقبلة)|(?:[一二三四五六七八九十]+、)?下一步)",
                         re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|(?<=[。！？；])\s*|\n+|\s+/\s+|\s+-\s+")


@dataclass(frozen=True)
class StatusReading:
    status: str  # one of STATUSES
    passage: int  # index of the passage (in the texts given) holding the sentence that says it
    start: int
    end: int
    score: float  # the weighted cues behind it (0: nothing said, the default)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, line or list item of `text`, spaces trimmed."""
    spans, start = [], 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        left = start + len(text[start:end]) - len(text[start:end].lstrip())
        right = start + len(text[start:end].rstrip())
        if right > left:
            spans.append((left, right))
        start = match.end() if match else len(text)
    return spans


def read_status(texts: list[str], anchors: list[tuple[int, int, int]]) -> StatusReading:
    """The status the passages `texts` give the initiative; `anchors` are (passage, start, end) spans that name it."""
    totals = dict.fromkeys(STATUSES, 0.0)
    best: dict[str, tuple[float, int, int, int]] = {}  # status → its strongest sentence (weighted score, where)
    for p, text in enumerate(texts):
        afterwards, previous_anchor = False, False
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if len(sentence) < 80 and _AFTERWARDS.match(sentence):
                afterwards = True
            anchored = any(a[0] == p and a[1] < end and a[2] > start for a in anchors)
            weight = ANCHOR_WEIGHT if anchored else NEXT_WEIGHT if previous_anchor else OTHER_WEIGHT
            previous_anchor = anchored
            for status, (strong, weak) in _CUES.items():
                unspaced_strong, unspaced_weak = _UNSPACED[status]
                score = 2.0 * (len(strong.findall(sentence)) + len(unspaced_strong.findall(sentence))) + sum(
                    len(cue.findall(sentence)) for cue in (weak, unspaced_weak) if cue is not None)
                if not score:
                    continue
                score *= AFTERWARDS_WEIGHT if afterwards and status != "evaluated" else weight
                totals[status] += score
                if score > best.get(status, (0.0,))[0]:
                    best[status] = (score, p, start, end)
    if totals["evaluated"] < EVALUATED_MIN:
        totals["evaluated"] = 0.0
    status = max(STATUSES, key=lambda s: (totals[s], s == "evaluated"))
    if totals[status] <= 0:
        spans = sentence_spans(texts[0]) if texts else []
        where = _anchor_sentence(texts, anchors) or ((0, *spans[0]) if spans else (0, 0, 0))
        return StatusReading(DEFAULT_STATUS, *where, 0.0)
    _, p, start, end = best[status]
    return StatusReading(status, p, start, end, round(totals[status], 2))


def _anchor_sentence(texts: list[str], anchors: list[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    for p, a_start, a_end in sorted(anchors):
        for start, end in sentence_spans(texts[p]):
            if start < a_end and end > a_start:
                return p, start, end
    return None
