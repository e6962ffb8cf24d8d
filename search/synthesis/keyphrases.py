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


def _tokens(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def _phrases(tokens: list[str]) -> list[str]:
    """Unigrams and bigrams that neither start nor end with a stop word (and skip 1-2 letter words)."""
    out = []
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
    cluster_counts = [Counter(p for text in texts for p in _phrases(_tokens(text))) for texts in clusters]
    background_df: Counter[str] = Counter()
    for text in background:
        background_df.update(set(_phrases(_tokens(text))))
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
