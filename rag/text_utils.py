"""Small word-level helpers shared by retrieval and answering."""

from __future__ import annotations

import re
from functools import lru_cache

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
# Runs of word characters, as a regex `\b...\b` sees a word: counting mentions, comparing
# answers, the words a question and a span share.
WORD_CHARS = re.compile(r"\w+")


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """`phrase` as whole words, any case ("U.S." too: no word character may touch it), its
    words apart by spaces or hyphens alike ("Sarbanes-Oxley", "Sarbanes Oxley")."""
    words = [w for w in re.split(r"[\s-]+", phrase.strip()) if w]
    body = r"[\s-]+".join(map(re.escape, words)) if words else re.escape(phrase.strip())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.I)


def holds_phrase(text: str, phrase: str) -> bool:
    return phrase_pattern(phrase).search(text) is not None


def human_date(iso: str) -> str:
    """ "2014-12-03" -> "3 December 2014" (other strings unchanged)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return iso
    return f"{int(m.group(3))} {MONTH_NAMES[int(m.group(2)) - 1].capitalize()} {m.group(1)}"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball's original Porter algorithm, as in SQLite's FTS5

    return Stemmer.Stemmer("porter")


@lru_cache(maxsize=200_000)
def porter_stem(token: str) -> str:
    """A lower-case token as FTS5's porter tokenizer stems it (names mixing letters and
    digits, and very short or long tokens, unchanged)."""
    if not 3 <= len(token) <= 64 or is_identifier(token):
        return token
    return _stemmer().stemWord(token)


def is_identifier(token: str) -> bool:
    """Letters and digits mixed: a name to match exactly, not a word to stem."""
    return any(ch.isdigit() for ch in token) and not token.isdigit()


def stem(word: str) -> str:
    """A word's Porter stem, any case, a possessive 's dropped: funded/funding/funds -> fund."""
    w = word.lower().replace("’", "'")
    return porter_stem(w[:-2] if w.endswith("'s") else w)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def content_parts(text: str) -> list[str]:
    """The distinct content words of a question, split at hyphens and apostrophes, in order:
    the terms both keyword searches (FTS5 and the in-memory BM25) look up."""
    seen: list[str] = []
    for w in words(text):
        for part in re.split(r"[-'’]", w.lower()):
            if len(part) >= 2 and part not in STOPWORDS and part not in seen:
                seen.append(part)
    return seen


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the question's content words OR-ed, each quoted."""
    return " OR ".join(f'"{t}"' for t in content_parts(text))
