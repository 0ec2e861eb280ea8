"""A list asked of several events, stated event by event (rag.answering.question_kinds).

"Which governments funded the meetings?": one sentence states one meeting's funders ("It was
financed by Belgium, Norway, the Russian Federation and Japan"), other releases the others'
("The event was funded by the Government of Norway"). The list one sentence states gains what
each other retrieved release about the events adds: its best span, of the entity labels the
list's items have, in a sentence that restates the asked verb; each item cites every sentence
that states it. A release that leaves out a name or number the question gives is about another
event (`about_another_event`).
"""

from __future__ import annotations

from dataclasses import replace

from rag.answering.answer_ranker import normalise_answer
from rag.answering.evidence import Candidate
from rag.answering.extractive import NAME_LABELS, Answerer
from rag.answering.focus import unnamed_entities
from rag.answering.roles import asked_predicate, predicate_token
from rag.values import Answer, Hit


def with_other_releases(
    kinds, within: Answer, resolved: str, per_release: dict[str, Hit], question_doc
) -> Answer:
    """A list one sentence states, with what the other retrieved releases add: a list
    asked of several events ("Which governments funded the meetings?") is stated event by
    event. Each other release that names the question's names and numbers, and whose best
    span the ranker believes enough, adds the span's items (its coordination's, or the
    span) that are names of a label the list's own items have; an item already listed
    gains the release's citation. Each item cites every sentence stating it."""
    a = kinds.answerer
    labels = _labels_of(a, within.citations[0].quote, [i["text"] for i in within.items])
    if not labels:
        return within
    items = [dict(i, citations=list(i["citations"])) for i in within.items or []]
    index = {item_key(i["text"]): k for k, i in enumerate(items)}
    citations = list(within.citations)
    predicate = _named_as(question_doc) or asked_predicate(question_doc)

    def listed(name: str) -> int | None:  # "Government of Norway" is the item "Norway"
        words = f" {item_key(name)} "
        return next((k for key, k in index.items() if f" {key} " in words), None)

    for source, hit in per_release.items():
        # (A release cited for restating the whole list may state more.)
        if source == within.citations[0].source or about_another_event(question_doc, hit):
            continue
        found = _items_of_kind(kinds, resolved, hit, labels, listed, question_doc, predicate)
        if found is None:
            continue
        best, names = found
        s0, s1 = a.sentence_of(best)
        sentence = best.doc.text[s0:s1]
        quote = Candidate(best.doc, best.hit, best.hit_rank, s0, s1, sentence, best.prob)
        same = next((c.n for c in citations if (c.source, c.start) == (source, s0)), None)
        if same is None:
            checked = a.verified_citations([quote])
            if not checked:
                continue
            same = len(citations) + 1
            citations.append(replace(checked[0], n=same))
        for name in names:
            k = listed(name)
            if k is not None:
                if same not in items[k]["citations"]:
                    items[k]["citations"].append(same)
            else:
                index[item_key(name)] = len(items)
                items.append({"text": name, "citations": [same]})
    if items == within.items:
        return within
    texts = [i["text"] for i in items]
    added = texts[len(within.items or []) :]
    answer = within.answer + (f"; other releases add {', '.join(added)}" if added else "")
    return replace(within, answer=answer, citations=citations, items=items)


def _items_of_kind(kinds, resolved, hit, labels, listed, question_doc, predicate):
    """(span, its items) for the release's best span the ranker believes enough whose
    sentence restates the asked verb and whose items (its coordination's, or the span)
    are names of `labels` or items already `listed`; None when there is none."""
    a = kinds.answerer
    for cand in a.candidates(resolved, [hit]):
        if cand.prob < kinds.threshold:
            break
        if predicate is not None and not kinds.restates(question_doc, predicate, cand):
            continue  # it answers some other question about the release
        found = kinds.list_of(cand) or kinds.separated(cand)
        s0, s1 = a.sentence_of(cand)
        sentence = cand.doc.text[s0:s1]
        spans = found[1] if found else [(cand.start, cand.end)]
        # A name inside a longer one ("Sweden" of "the Government of Sweden", an ORG) is
        # labelled as itself.
        names = [
            n
            for n in (cand.doc.text[x:y] for x, y in spans)
            if listed(n) is not None
            or (_labels_of(a, sentence, [n]) or _labels_of(a, n, [n])) & labels
        ]
        if names:
            return cand, names
    return None


def _named_as(question_doc) -> str | None:
    """What a question asks its items were named as ("which countries are named *as having
    funded* the meetings", "listed *as funders*"): the lemma of the word its main verb's "as"
    governs, or None."""
    verb = predicate_token(question_doc)
    for prep in (c for c in verb.children if c.lower_ == "as") if verb is not None else ():
        word = next((c for c in prep.children if c.dep_ in ("pcomp", "pobj")), None)
        if word is not None:
            return word.lemma_.lower()
    return None


def _labels_of(answerer: Answerer, sentence: str, names: list[str]) -> set[str]:
    """The labels of the names spaCy tags in the sentence that lie within one of `names`."""
    keys = [f" {normalise_answer(n)} " for n in names]
    return {
        label
        for x, y, label in answerer.annotator.entities(sentence)
        if label in NAME_LABELS and any(f" {normalise_answer(sentence[x:y])} " in k for k in keys)
    }


def about_another_event(question_doc, hit: Hit) -> bool:
    """Whether the release leaves out a name or number the question gives ("the 2005 *V
    Festival*", "the *BBC World Service* poll"): its best span answers the question about
    some other event, and is no item of the list."""
    release = hit.document
    text = " ".join([release.title, release.context_line(), release.text])
    return bool(unnamed_entities(question_doc, question_doc[0:0], text))


def item_key(text: str) -> str:
    """The words that identify a list item, a leading article aside."""
    words = normalise_answer(text).split()
    return " ".join(words[1:] if words and words[0] in ("the", "a", "an") else words)
