"""Questions about one release named by its quoted title: "In which category is the article
titled 'Jarre joins fairytale celebration'?", "When was 'Kilroy launches Veritas party'
published?", "Where was the release 'OSCE holds regional workshop ...' issued?".

The release is found by its exact title (SQL over the store, any case); the asked attribute
comes from the wh-word (when: date, where: place) or from the question's head noun by MiniLM
similarity to the names of the store's metadata fields (ATTRIBUTE_NOUNS: the schema's own
vocabulary, not words of any question). The answer is read off the metadata and cites the
release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.answering.question_analysis import question_key
from rag.text_utils import human_date
from rag.values import Document

# Metadata fields a question can ask of a release, each with the nouns that name it.
ATTRIBUTE_NOUNS = {
    "fields": ("category", "topic", "section", "field of work"),
    "date": ("date", "publication date"),
    "place": ("place", "city", "location"),
    "publisher": ("publisher", "source"),
    "title": ("title", "headline"),
}
ATTRIBUTE_SIMILARITY = 0.6
_QUOTED = re.compile(r"'([^']{3,300})'(?!\w)|\"([^\"]{3,300})\"|‘([^’]{3,300})’|“([^”]{3,300})”")


@dataclass
class TitledQuery:
    attribute: str  # a key of ATTRIBUTE_NOUNS
    title: str  # as quoted in the question


def quoted_titles(question: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(question)]


def attribute_value(doc: Document, attribute: str) -> str:
    """The attribute as a person reads it ("" when the release does not have it)."""
    if attribute == "fields":
        return ", ".join(doc.fields)
    if attribute == "date":
        return human_date(doc.date) if doc.date else ""
    if attribute == "place":
        return ", ".join(x for x in (doc.place, doc.country) if x)
    if attribute == "title":
        return doc.title
    return doc.publisher


class AttributeNouns:
    """Which metadata field a noun names, by similarity to ATTRIBUTE_NOUNS (cached vectors)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self._names: list[str] = []
        self._vectors: np.ndarray | None = None
        self._fields: dict[str, str | None] = {}  # noun -> field: each noun is embedded once

    def field_of(self, noun: str) -> str | None:
        if noun in self._fields:
            return self._fields[noun]
        if self._vectors is None:
            pairs = [(a, n) for a, nouns in ATTRIBUTE_NOUNS.items() for n in nouns]
            self._names = [a for a, _ in pairs]
            self._vectors = self.embedder.encode([n for _, n in pairs])
        sims = self._vectors @ self.embedder.encode([noun])[0]
        best = int(np.argmax(sims))
        field = self._names[best] if float(sims[best]) >= ATTRIBUTE_SIMILARITY else None
        if len(self._fields) < 10_000:  # bounded: nouns come from users' questions
            self._fields[noun] = field
        return field


def parse_titled(doc, question: str, nouns: AttributeNouns, has_title) -> TitledQuery | None:
    """A TitledQuery when the question quotes a release's title and asks one of its metadata
    fields; `doc` is the question parsed by spaCy, `has_title(title)` asks the store."""
    titles = [t for t in quoted_titles(question) if has_title(t)]
    if not titles:
        return None
    _, head, wh = question_key(doc)
    attribute = None
    inside = {i for m in _QUOTED.finditer(question) for i in range(m.start(), m.end())}
    if head is not None and head.idx not in inside:
        attribute = nouns.field_of(head.lemma_.lower())
    if attribute is None and wh in ("when", "where"):
        attribute = "date" if wh == "when" else "place"
    return TitledQuery(attribute, titles[0]) if attribute else None
