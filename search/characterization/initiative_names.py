"""What the text says about an initiative in words: the cues that a passage describes one ("launched", "we run",
a programme, law, helpline or campaign, in the corpus' languages), the names it gives (SafeSurf, the National Tipline, "the Child Protection
in Cyberspace (CPC) global initiative") and the kind a name or a title states outright ("… Act" is a law).

Arabic and Chinese words are matched without word boundaries (Chinese writes none; Arabic joins its articles and
conjunctions to the word: "الحملة", "وعيك"); Russian by stems ("законопроект", "кампании"). A name in quotes may
begin with a letter of a script without capitals (Arabic, Chinese) or with a Cyrillic capital.

Used per passage by search/characterization/initiative_extraction.py.
"""

from __future__ import annotations

import re

__all__ = ["CUE", "KIND_HINTS", "RUNS_IT", "cue_count", "kind_stated_in", "names_in"]

# --- cues ----------------------------------------------------------------------------------------------------------
CUE = re.compile(
    r"\b(launch(?:ed|es|ing)?|establish(?:ed|es|ing)?|set up|introduc(?:ed|es|ing)|creat(?:ed|es|ing)|develop(?:ed|s|ing)"
    r"|we run|runs|operat(?:es|ed|ing)|implement(?:ed|s|ing)|adopt(?:ed|s|ing)|enact(?:ed|s)|roll(?:ed)? out"
    r"|programmes?|programs?|initiatives?|projects?|campaigns?|helplines?|hotlines?|tiplines?|platforms?|app"
    r"|curricul(?:um|a)|workshops?|trainings?|training of trainers|roadshows?|law|act|bill|regulations?|strateg(?:y|ies)"
    r"|action plan|framework|standards?|guidelines?|toolkits?|coalitions?|alliances?|partnerships?|survey|study"
    r"|lanc[ée]e?s?|mis en place|programme national|cr[ée]{2}e?s?|atelier|campagne|ligne d'assistance|loi"
    r"|lanz[óa]|puesto en marcha|creó|programa|campaña|ley|línea de ayuda|implementó|lançou|lançado|programa"
    r"|projeto|campanha|lei|linha de apoio"
    r"|запуст\w*|созда\w*|внедр\w*|реализ\w*|программ\w*|проект\w*|законопроект\w*|инициатив\w*|кампани\w*"
    r"|закон\w*|поправк\w*|стратеги\w*|концепци\w*|платформ\w*|телефон\w* доверия|горяч\w* лини\w*|обучени\w*"
    r"|семинар\w*|тренинг\w*|исследовани\w*|опрос\w*)\b", re.IGNORECASE)
# the same in the scripts whose words take no boundary here (Arabic: article and conjunctions joined; Chinese)
_CUE_UNSPACED = re.compile(
    r"أطلق|إطلاق|دشن|تدشين|حمل[ةت]|برنامج|مبادر[ةت]|مشروع|قانون|تشريع|استراتيجي|منص[ةت]|تدريب|ورش[ةت]|خط ساخن"
    r"|تطبيق|شراك[ةت]|دراس[ةت]"
    r"|推出|启动|发布|实施|开展|建设|上线|设立|推进|项目|计划|行动|活动|平台|法律|条例|指引|指南|培训|热线|举报|战略|政策"
    r"|倡议|联盟|调查|研究")
_KIND_WORDS = (r"Programme|Program|Initiative|Project|Campaign|Strategy|Framework|Act|Law|Bill|Code|Platform|Helpline"
               r"|Hotline|Tipline|Network|Alliance|Coalition|Council|Centre|Center|Fund|Academy|Policy|Plan|Curriculum|Decree"
               r"|Guidelines?|Guide|Standard|Index|Registry|Register|Portal|App|Toolkit|Principles|Taskforce|Task Force"
               r"|Day|Week|Charter|Convention|Roadshow|Club|Lab|Hub|Label|Clinic")
_CAP = r"[A-Z][\w'’\-]*(?:\.[a-z]{2,3})?"
_NAMED = re.compile(
    rf"\b((?:{_CAP}[ \t]+(?:(?:of|for|on|the|to|in)[ \t]+)?){{0,6}}(?:{_KIND_WORDS})\b"
    rf"(?:[ \t]+(?:on|for|of|to)[ \t]+(?:the[ \t]+)?(?:{_CAP}[ \t]*){{1,5}})?)")
_COINED = re.compile(r"\b([A-Z][a-z]+[A-Z][A-Za-z]+(?:\.[a-z]{2,3})?|[a-z]{2,}[A-Z]{3,}\w*)\b")  # SafeSurf, euCONSENT
# a name headed by one of these is who runs the initiative (it groups passages, but names no initiative)
RUNS_IT = re.compile(r"\b(Centre|Center|Institute|University|Foundation|Ministry|Commission|Authority)\b")
_LEADING = {"the", "a", "an", "this", "its", "our", "their", "before", "after", "under", "through", "with", "in", "on",
            "by", "for", "from", "to", "at", "as", "of", "and", "since", "during", "while", "when", "each", "every"}
# a capitalised name its text abbreviates: "the Child Protection in Cyberspace (CPC) global initiative"
_ACRONYMED = re.compile(r"\b((?:[A-Z][\w'’\-]*[ \t]+(?:(?:of|for|on|in|the|and|against|to)[ \t]+)*){1,8}[A-Z][\w'’\-]*)"
                        r"[ \t]*\([A-Z][A-Za-z]{1,9}\)")
# a name in quotes begins with a capital, or with a letter of a script that has none (Arabic, Chinese)
_QUOTED = re.compile(r"[“\"«]\s*([A-ZА-ЯЁ\u0600-\u06ff\u4e00-\u9fff][^”\"»\n]{2,60}?)\s*[”\"»]")
_NOT_NAMES = re.compile(
    r"^(the\s+)?(member states?|united nations|information document|working group|the government|government|"
    r"national|international|introduction|conclusion|commitment|platform|project|programme|initiative|framework|"
    r"strategy|this document|key principles.*|itu council|un council)$|council working group|child online protection$"
    r"|^(why|how|what|propose|proposals?|developing|progress in)\b|\binstitute\b", re.I)
# a name that says the initiative's kind is its name (the Tipline of a helpline, not the strategy it belongs to)
KIND_HINTS = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in {
    "law_regulation": r"\b(act|law|bill|code|convention|decree|regulation)\b",
    "strategy_policy": r"\b(strategy|policy|plan|framework|guidelines?|principles|charter)\b",
    "awareness_campaign": r"\b(campaign|day|week|roadshow|initiative)\b",
    "training_capacity": r"\b(training|workshops?|academy|trainers?|course)\b",
    "curriculum": r"\b(curriculum|framework|course|lessons?|literacy)\b",
    "tool_app": r"\b(app|platform|tool|database|filter|portal|game)\b|(?-i:[a-z][A-Z])",  # SafeSurf: a coined name
    "research_study": r"\b(study|survey|index|report|research)\b",
    "helpline_reporting": r"\b(helpline|tipline|hotline|line|centre|center)\b",
    "partnership_alliance": r"\b(alliance|coalition|network|partnership|taskforce|task force|hub)\b",
    "technical_standard": r"\b(standard|iso|ieee|p\d{4})\b",
}.items()}
# the same in Arabic and Chinese, matched without word boundaries
_UNSPACED_KINDS = {
    "law_regulation": r"قانون|تشريع|مرسوم|لائح[ةت]|法律|法规|条例|保护法|立法",
    "strategy_policy": r"استراتيجي|سياس[ةت]|战略|政策|规划|指引|指南",
    "awareness_campaign": r"حمل[ةت]|توعي[ةت]|宣传|专项行动",
    "training_capacity": r"تدريب|ورش[ةت]|培训",
    "curriculum": r"منهج|课程",
    "tool_app": r"تطبيق|منص[ةت]|应用程序|软件",
    "research_study": r"دراس[ةت]|استطلاع|调查|调研",
    "helpline_reporting": r"خط ساخن|خط المساعد[ةت]|热线",
    "partnership_alliance": r"تحالف|شراك[ةت]|联盟",
    "technical_standard": r"معيار|معايير|标准",
}
# the words by which a name or a title says its kind outright, in the corpus' languages (one kind, or none)
_STATED_KINDS = {kind: re.compile(rf"(?<!\w)(?:{pattern})(?!\w)|{_UNSPACED_KINDS[kind]}", re.IGNORECASE)
                 for kind, pattern in {
    "law_regulation": r"act|law|bill|decree|amendments?|loi|décret|ley|decreto|lei|закон\w*|законопроект\w*"
                      r"|законодательств\w*|поправк\w*|постановлени\w*|кодекс\w*",
    "strategy_policy": r"strategy|action plan|policy|guidance|guidelines|stratégie|politique|lignes directrices"
                       r"|estrategia|política|directrices|estratégia|diretrizes|стратеги\w*|концепци\w*"
                       r"|политик\w*",
    "awareness_campaign": r"campaign|campagne|campaña|campanha|awareness|sensibilisation|кампани\w*",
    "training_capacity": r"training|seminars?|workshops?|formation|séminaire|formación|seminario|formação"
                         r"|обучени\w*|семинар\w*|тренинг\w*",
    "curriculum": r"curriculum|programme scolaire|currículo|учебн\w* программ\w*",
    "tool_app": r"app|application|platform|database|plateforme|plataforma|outil|herramienta|ferramenta"
                r"|приложени\w*|платформ\w*",
    "research_study": r"survey|study|research|consultation|enquête|étude|encuesta|estudio|consulta|pesquisa"
                      r"|исследовани\w*|опрос\w*",
    "helpline_reporting": r"helpline|tipline|hotline|ligne d'écoute|línea de ayuda|linha de apoio"
                          r"|телефон\w* доверия|горяч\w* лини\w*",
    "partnership_alliance": r"alliance|coalition|network|partnership|council|réseau|alianza|coalición|parceria"
                            r"|альянс\w*|коалици\w*|партнерств\w*",
    "technical_standard": r"standard|norme|ISO|IEEE",
}.items()}


def names_in(text: str, source: str = "") -> list[tuple[str, int, int]]:
    """Candidate initiative names in `text`: (name, start, end), in order; country and organisation names alone,
    the source itself and generic headings are not names."""
    from ingest.countries import lookup_country
    from ingest.organisations import organisation_span

    found: list[tuple[str, int, int]] = []
    for pattern in (_NAMED, _COINED, _QUOTED, _ACRONYMED):
        for match in pattern.finditer(text):
            name = match.group(1).strip(" .,;:'’-")
            start = match.start(1) + match.group(1).find(name)
            words = name.split()
            while pattern is not _QUOTED and len(words) > 1 and words[0].lower() in _LEADING:  # "Before the Act": a sentence's first words
                name, start = name[len(words[0]):].lstrip(), start + len(name) - len(name[len(words[0]):].lstrip())
                words = words[1:]
            if len(name) < 4 or _NOT_NAMES.match(name) or lookup_country(name) is not None:
                continue
            if source and name.lower() == source.lower():
                continue
            organisation = organisation_span(name)
            if organisation and organisation[2] - organisation[1] >= len(name) - 4:
                continue  # an organisation is who runs it, not what it is
            if pattern is _NAMED and len(name.split()) < 2:
                continue  # a bare "Programme" or "Law" is no name
            found.append((name, start, start + len(name)))
    found.sort(key=lambda t: t[1])
    out: list[tuple[str, int, int]] = []
    for item in found:  # drop names inside a longer one already kept
        if out and item[1] < out[-1][2]:
            if item[2] - item[1] > out[-1][2] - out[-1][1]:
                out[-1] = item
            continue
        out.append(item)
    return out


def cue_count(text: str) -> int:
    """How many words of `text` say that it describes an initiative ("launched", a programme, a law, a campaign)."""
    return len(CUE.findall(text)) + len(_CUE_UNSPACED.findall(text))


def kind_stated_in(text: str) -> str:
    """The one kind `text` (a name or a title) says outright, or "" (none, or words of two kinds)."""
    stated = [kind for kind, pattern in _STATED_KINDS.items() if pattern.search(text)]
    return stated[0] if len(stated) == 1 else ""
