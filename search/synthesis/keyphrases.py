"""Key phrases of passage clusters by class-based TF-IDF: what a cluster says more than the others
and more than the collection as a whole."""

from __future__ import annotations

import math
import re
from collections import Counter

_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)
# English function words plus words every contribution uses (they name no sub-theme).
STOPWORDS = frozenset("""
a about above after again against all also an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just may me might more most must my
no nor not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours one two three four
five many much well within without upon via per us e.g i.e etc
document documents information submitted contribution working group member members states state
itu cwg cop child children online protection use used using new including include includes
""".split())
MAX_WORDS = 3


_CLAUSE = re.compile(r"[,.;:!?()\[\]{}\"“”«»…•|/]+|\s[-–—]\s")


def _tokens(text: str) -> list[str]:
    return [re.sub(r"['’]s$", "", w.lower()).strip("'’-") for w in _WORD.findall(text)]


def _phrases(text: str) -> list[str]:
    """Unigrams and bigrams that neither start nor end with a stop word (and skip 1-2 letter words); a
    bigram never spans punctuation ("security, national" is not a phrase)."""
    out = []
    for clause in _CLAUSE.split(text):
        tokens = _tokens(clause)
        for n in (1, 2):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i:i + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or any(len(g) < 3 for g in gram):
                    continue
                out.append(" ".join(gram))
    return out


def cluster_key_phrases(clusters: list[list[str]], background: list[str], top: int = MAX_WORDS,
                        avoid: set[str] | None = None) -> list[list[str]]:
    """For each cluster (a list of passage texts), its `top` key phrases.

    Score = (frequency in the cluster) × log(1 + background passages / passages containing the phrase)
    × log(1 + clusters / clusters containing it). A unigram already inside a chosen bigram is skipped;
    phrases in `avoid` (the topic's own words) are not used as labels.
    """
    avoid = {a.lower() for a in (avoid or set())}
    cluster_counts = [Counter(p for text in texts for p in _phrases(text)) for texts in clusters]
    background_df: Counter[str] = Counter()
    for text in background:
        background_df.update(set(_phrases(text)))
    n_background = max(len(background), 1)
    cluster_df: Counter[str] = Counter()
    for counts in cluster_counts:
        cluster_df.update(counts.keys())
    out = []
    for counts in cluster_counts:
        total = sum(counts.values()) or 1
        scored = []
        for phrase, tf in counts.items():
            if set(phrase.split()) <= avoid:
                continue
            idf = math.log(1 + n_background / (1 + background_df[phrase]))
            cidf = math.log(1 + len(clusters) / cluster_df[phrase])
            bigram_bonus = 1.3 if " " in phrase else 1.0
            scored.append((tf > 1, tf / total * idf * cidf * bigram_bonus, phrase))
        scored.sort(key=lambda t: (not t[0], -t[1], t[2]))  # repeated phrases first
        chosen: list[str] = []
        for _, _, phrase in scored:
            words = set(phrase.split())
            if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
                continue  # "age" next to "age verification" adds nothing
            chosen.append(phrase)
            if len(chosen) == top:
                break
        out.append(chosen)
    return out


# Endings of words that are rarely the head of an English noun phrase (adjectives, adverbs, participles),
# and nouns that end so anyway.
_NOT_HEAD = re.compile(r"(ed|ly|ive|ous|ful|able|ible|ic|al|ary|est|ent|ant|less|ish|safe|clear|free|wide)$")
_NOUNS_ANYWAY = {"content", "parent", "student", "agent", "event", "government", "environment", "management",
                 "development", "engagement", "enforcement", "assessment", "involvement", "treatment",
                 "statement", "agreement", "investment", "requirement", "commitment", "element", "instrument",
                 "consent", "incident", "component", "assistant", "applicant", "participant", "stakeholder",
                 "public", "clinic", "topic", "traffic", "graphic", "library", "summary", "dictionary",
                 "boundary", "secretary", "adolescent", "representative", "initiative", "objective", "incentive",
                 "alternative", "perspective", "detective", "executive", "legislative", "interest", "request",
                 "harvest", "contest", "manifest", "need", "speed", "feed", "seed", "bed", "proposal", "material",
                 "portal", "tutorial", "approval", "signal", "manual", "journal", "criminal", "individual",
                 "professional", "potential", "trial", "hospital", "terminal", "capital", "principal", "referral",
                 "removal", "renewal", "withdrawal", "arrival", "survival", "animal", "rival", "mechanic"}
# Verbs that open instructions and aims ("address offences", "cultivate digital…"): not the start of a title.
_VERB_FIRST = {"address", "cultivate", "expand", "encourage", "support", "ensure", "provide", "promote", "protect",
               "develop", "create", "build", "help", "make", "take", "give", "prevent", "improve", "strengthen",
               "establish", "integrate", "include", "reduce", "increase", "enable", "allow", "require", "raise",
               "use", "share", "report", "combat", "tackle", "end", "fight", "keep", "adopt", "implement", "invite",
               "offer", "bring", "brings", "passed", "face", "goes", "concerns", "adequately", "carefully", "often",
               "mainly", "huge", "high", "highest", "start", "committee", "maintaining", "cooperation", "identify",
               "assess", "monitor", "detect", "remove", "review", "respond", "engage", "empower", "enhance", "foster",
               "facilitate", "coordinate", "consider", "continue", "need", "needs", "set", "get", "let", "see"}
_ADJECTIVE_HEADS = {"poor", "good", "new", "best", "key", "main", "major", "important", "strong", "weak", "safe",
                    "clear", "able", "free", "wide", "large", "small", "early", "young", "old", "full", "real"}
_GENERIC_HEAD = {"part", "parts", "way", "ways", "use", "need", "needs", "number", "level", "levels", "area", "areas",
                 "type", "types", "kind", "issue", "issues", "aspect", "aspects", "example", "case", "cases", "time",
                 "today", "world", "people", "thing", "things", "lot", "order", "fact", "term", "terms", "basis"}
_ING_NOUNS = {"training", "reporting", "grooming", "filtering", "learning", "gaming", "safeguarding", "funding",
              "mapping", "monitoring", "screening", "counselling", "counseling", "bullying", "cyberbullying",
              "profiling", "streaming", "live-streaming", "messaging", "computing", "programming", "parenting",
              "building", "networking", "teaching", "marketing", "policing", "housing", "understanding", "wellbeing"}
_VERBISH = {"often", "also", "rather", "well", "however", "today", "now", "currently", "happens", "provides", "includes", "aims", "seeks", "helps", "makes", "shows", "gives", "takes",
            "ensures", "supports", "requires", "allows", "enables", "underscored", "highlighted", "noted",
            "emphasized", "emphasised", "presented", "described", "discussed", "shared",
            # irregular participles and verbs a key phrase ends with as often as a noun does
            "written", "given", "taken", "made", "done", "seen", "known", "shown", "held", "led", "built", "brought",
            "taught", "sought", "found", "spreads", "grows", "needs", "remains", "becomes", "works", "goes", "comes"}


def noun_phrase_title(phrases: list[str], exclude: set[str] | None = None, single_words: bool = True) -> str:
    """A readable title from a cluster's key phrases (best first): the first two-word phrase that ends in a
    noun-like word, else the first one-word phrase that does; first letter capitalised ("Media literacy");
    "" when none fits."""
    exclude = {e.lower() for e in (exclude or set())}
    good = []
    for phrase in phrases:
        words = phrase.split()
        head = words[-1]
        if phrase.lower() in exclude or any(w in _VERBISH for w in words) or words[0] in _VERB_FIRST:
            continue
        if head in _GENERIC_HEAD or any(w.endswith("ly") for w in words) or (words[0].endswith("ing") and words[0] not in _ING_NOUNS and len(words) > 1):
            continue
        if (_NOT_HEAD.search(head) and head not in _NOUNS_ANYWAY) or head in _ADJECTIVE_HEADS:
            continue
        good.append(phrase)
    title = next((p for p in good if " " in p), good[0] if good and single_words else "")
    return title[:1].upper() + title[1:]
