"""What question constraints need from the whole corpus, kept per snapshot, updated per write.

`rag.answering.constraints` asks which releases are from a year, have a dateline place or country,
or mention
a word. Scanning every release for each question (a regex over 2,225 BBC articles is ~100 ms)
made the tail of search and ask; here those answers are indexed once per document set.

A snapshot's `documents` dict is never changed after it is published, so its facts are cached
by the dict's identity. `register(documents)` (the engine calls it on load and with each write)
derives the facts of a new dict from the newest registered one: only the releases that differ
(by identity) are tokenised, so a write costs the size of the write plus a few dict copies.
A dict that was never registered gets facts built for that call only (nothing cached: it may
change).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from dataclasses import dataclass

from rag.text_utils import WORD_CHARS, phrase_pattern
from rag.values import Document

KEEP = 4  # registered generations kept (readers may still hold the previous snapshot)


def words_of(text: str) -> frozenset[str]:
    """Distinct lower-case word-character runs, as a `\\b...\\b` match sees word edges."""
    return frozenset(sys.intern(w) for w in WORD_CHARS.findall(text.lower()))


@dataclass(frozen=True)
class CorpusFacts:
    documents: dict[str, Document]  # the dict described (identity)
    place_counts: dict[str, int]  # lower-case place or country -> releases with it in metadata
    city_counts: dict[str, int]  # lower-case dateline place -> releases
    by_country: dict[str, frozenset[str]]  # lower-case country -> its releases
    doc_words: dict[str, frozenset[str]] | None  # source -> the words of its text

    @property
    def metadata_places(self) -> set[str]:
        return set(self.place_counts)

    @property
    def cities(self) -> set[str]:
        return set(self.city_counts)

    def mentioning(self, term: str, sources: set[str] | None = None) -> set[str]:
        """Releases (among `sources`, default all) whose text holds `term` as whole words,
        case-insensitively: the word sets narrow them down, a regex confirms."""
        pool = self.documents if sources is None else sources
        words = self.doc_words
        if words is None:
            found = [s for s in pool if s in self.documents]
        else:
            needed = words_of(term)
            if len(needed) == 1:
                (w,) = needed
                found = [s for s in pool if w in words.get(s, ())]
            else:
                found = [s for s in pool if s in words and needed <= words[s]]
            if term.isascii() and WORD_CHARS.fullmatch(term):  # one word: the sets are exact
                return set(found)
        if term.isascii():  # a substring test in C first: the regex only where the words touch
            lowered = term.lower()
            found = [s for s in found if lowered in self.documents[s].text.lower()]
        pattern = phrase_pattern(term)
        return {s for s in found if pattern.search(self.documents[s].text)}


def _places(doc: Document) -> set[str]:
    return {v.lower() for v in (doc.place, doc.country) if v}


def _build(documents: dict[str, Document], base: CorpusFacts | None, words: bool) -> CorpusFacts:
    """Facts of `documents`, derived from `base` (only the releases that differ are visited);
    word sets when `words` or when `base` has them (then they cost only the changed ones)."""
    if base is None or (words and base.doc_words is None):
        places: Counter[str] = Counter()
        cities: Counter[str] = Counter()
        for d in documents.values():
            places.update(_places(d))
            if d.place:
                cities[d.place.lower()] += 1
        doc_words = {s: words_of(d.text) for s, d in documents.items()} if words else None
        countries: dict[str, set[str]] = {}
        for s, d in documents.items():
            countries.setdefault(d.country.lower(), set()).add(s)
        by_country = {k: frozenset(v) for k, v in countries.items()}
        return CorpusFacts(documents, dict(places), dict(cities), by_country, doc_words)
    old = base.documents
    gone = [s for s, d in old.items() if documents.get(s) is not d]
    new = [s for s, d in documents.items() if old.get(s) is not d]
    places, cities = Counter(base.place_counts), Counter(base.city_counts)
    doc_words = None if base.doc_words is None else dict(base.doc_words)
    by_country = dict(base.by_country)  # the sets of the countries touched are replaced
    for s in gone:
        d = old[s]
        places.subtract(_places(d))
        if d.place:
            cities[d.place.lower()] -= 1
        if doc_words is not None:
            doc_words.pop(s, None)
        key = d.country.lower()
        by_country[key] = by_country.get(key, frozenset()) - {s}
    for s in new:
        d = documents[s]
        places.update(_places(d))
        if d.place:
            cities[d.place.lower()] += 1
        if doc_words is not None:
            doc_words[s] = words_of(d.text)
        key = d.country.lower()
        by_country[key] = by_country.get(key, frozenset()) | {s}
    return CorpusFacts(
        documents,
        {k: v for k, v in places.items() if v > 0},
        {k: v for k, v in cities.items() if v > 0},
        {k: v for k, v in by_country.items() if v},
        doc_words,
    )


_lock = threading.Lock()
_registered: list[CorpusFacts] = []  # newest last


def _lookup(documents: dict[str, Document], words: bool = False) -> CorpusFacts | None:
    for facts in reversed(_registered):
        if facts.documents is documents and (facts.doc_words is not None or not words):
            return facts
    return None


def register(documents: dict[str, Document], *, words: bool = False) -> CorpusFacts:
    """Index a published (never again changed) documents dict, from the newest one indexed.

    With `words`, also the word sets of every release (a one-off ~0.2 s per 1,000 releases,
    done at warm-up; later registrations derive them per changed release). Without them,
    `mentioning` reads the texts.
    """
    facts = _lookup(documents, words)
    if facts is not None:
        return facts
    with _lock:
        facts = _lookup(documents, words)
        if facts is None:
            base = _registered[-1] if _registered else None
            facts = _build(documents, base, words)
            _registered[:] = [f for f in _registered if f.documents is not documents][-KEEP + 1 :]
            _registered.append(facts)
        return facts


def facts_for(documents: dict[str, Document]) -> CorpusFacts:
    """The registered facts of `documents`, or facts built for this call only."""
    facts = _lookup(documents)
    return facts if facts is not None else _build(documents, None, words=False)
