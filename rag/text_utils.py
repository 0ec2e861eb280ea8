"""Small word-level helpers shared by retrieval and answering."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "did",
        "does",
        "done",
        "said",
        "say",
        "says",
        "tell",
        "told",
        "according",
        "there's",
        "what's",
        "who's",
    ]
)
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def human_date(iso: str) -> str:
    """ "2014-12-03" -> "3 December 2014" (other strings unchanged)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return iso
    return f"{int(m.group(3))} {MONTH_NAMES[int(m.group(2)) - 1].capitalize()} {m.group(1)}"


def stem(word: str) -> str:
    """A light suffix stripper: enough to match funded/funding/funds, experts/expert."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "ed", "es", "er", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                w += "y"
            break
    return w


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the question's content words OR-ed, each quoted."""
    seen: list[str] = []
    for w in words(text):
        for part in re.split(r"[-'’]", w.lower()):
            if len(part) >= 2 and part not in STOPWORDS and part not in seen:
                seen.append(part)
    return " OR ".join(f'"{t}"' for t in seen)
