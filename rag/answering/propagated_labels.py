"""Names the entity recogniser misses in a question, labelled as the releases' text has them.

A question is short and gives a name little context: en_core_web_sm tags nothing in "Were
Europol experts among those taking part?", yet tags "Europol" an organisation in the release
that says "experts from Interpol, Europol and the UNODC took part". A name keeps one kind
through a collection (the one-sense-per-discourse assumption named-entity taggers exploit by
propagating labels across a document), so a capitalised proper noun the question leaves
untagged takes the label the tagger gives the same words in the retrieved passages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from spacy.tokens import Span


def untagged_names(doc, metadata: set[str]) -> list[tuple[int, int]]:
    """(start, end) token ranges of runs of capitalised proper nouns the recogniser left out
    of the question's entities: not its first word (capitalised whatever it is), not a year
    or place of the releases' metadata, nor in a noun phrase holding one (the *OSCE* of "the
    2009 OSCE meeting in Astana" describes the event the question is about)."""
    in_entity = {t.i for e in doc.ents for t in e}
    chunks = list(doc.noun_chunks)
    runs: list[list[int]] = []
    for t in doc:
        if not (
            t.pos_ == "PROPN"
            and t.is_alpha
            and t.text[:1].isupper()
            and t.i > 0
            and t.i not in in_entity
            and t.lower_ not in metadata
        ):
            continue
        chunk = next((c for c in chunks if c.start <= t.i < c.end), None)
        if chunk is not None and any(x.lower_ in metadata for x in chunk):
            continue
        if runs and runs[-1][1] == t.i:
            runs[-1][1] = t.i + 1
        else:
            runs.append([t.i, t.i + 1])
    return [(start, end) for start, end in runs]


def labelled_as_in(
    doc,
    runs: list[tuple[int, int]],
    texts: Iterable[str],
    entities: Callable[[str], list[tuple[int, int, str]]],
) -> list[Span]:
    """The runs as entities of the question, each with the label of the first entity of the
    texts (in order) that holds the same words; a run no text tags is left out. `entities`:
    (start char, end char, label) of a text's entities (Annotator.entities)."""
    texts = list(texts)
    found = []
    for start, end in runs:
        name = doc[start:end].text
        label = next(
            (
                lab
                for text in texts
                if (at := text.find(name)) >= 0
                for e0, e1, lab in entities(text)
                if e0 <= at and at + len(name) <= e1
            ),
            None,
        )
        if label is not None:
            found.append(Span(doc, start, end, label=label))
    return found
