"""What the parses of a yes/no question and of a release's sentence say, for the checks of
rag.answering.yes_no: whether a name or value is asserted or only identifies the event, whether
a "than" compares, whether the release mentions what the question names, and the roles a
sentence gives the focus."""

from __future__ import annotations

from rag.answering.answer_ranker import SpanCandidate
from rag.answering.focus import VALUE_LABELS, names_focus, unmentioned_nouns, unnamed_entities
from rag.answering.roles import predicate_token


def release_text(best: SpanCandidate) -> str:
    """The release of `best` as a reader takes it in: title, context line and text."""
    return document_text(best.doc)


def document_text(release) -> str:
    """A release as a reader takes it in: title, context line and text."""
    return " ".join([release.title, release.context_line(), release.text])


def describes_another(span) -> bool:
    """Whether the span modifies a noun outside it ("*Norway* international")."""
    root = span.root
    return (
        root.dep_ in ("compound", "amod", "nmod")
        and root.head.pos_ in ("NOUN", "PROPN")
        and not span.start <= root.head.i < span.end
    )


def reports_another(verb, focus_span) -> bool:
    """Whether the verb takes a clause whose subject is a noun other than the focus: what the
    focus says someone else did ("Mr Straw said *the US* had agreed"). A pronoun subject
    ("she would like to run") is mostly the speaker."""
    for clause in (c for c in verb.children if c.dep_ == "ccomp"):
        for subject in (g for g in clause.children if g.dep_ in ("nsubj", "nsubjpass")):
            if subject.pos_ in ("NOUN", "PROPN") and not (
                focus_span.start <= subject.i < focus_span.end
            ):
                return True
    return False


def reporting_asked(question_doc) -> str | None:
    """The lemma of the question's verb when the act itself is asked ("Did X *speak* at the
    opening?"), None when the verb takes a clause: then what was said is asked ("Did X say a
    single country could beat it?"), which a sentence's other clause need not state."""
    token = predicate_token(question_doc)
    if token is None or any(c.dep_ in ("ccomp", "xcomp") for c in token.children):
        return None
    return token.lemma_.lower()


def unit_of_figure(token) -> bool:
    """Whether the token is a unit the tokenizer split off a figure (the "m" of "£7.2m")."""
    before = token.nbor(-1) if token.i > 0 else None
    return before is not None and before.like_num and not before.whitespace_


def exact_value(span) -> bool:
    """Whether a value is a figure ("27", "$3bn") or a name ("March"), which a release states
    the same way; not a phrase around a common noun ("the end of", "the quarter to
    December"), which it may say in other words ("the three months to December")."""
    return span.root.pos_ == "PROPN" or any(
        t.like_num or any(ch.isdigit() for ch in t.text) for t in span
    )


def asserted(span) -> bool:
    """Whether the span is part of what the question asks about, not of a clause that only
    identifies something it names ("the conference *held in July 2010*", "when he was ...")."""
    token = span.root
    while token.dep_ != "ROOT":
        if token.dep_ in ("relcl", "acl", "advcl"):
            return False
        token = token.head
    return True


def compares_participants(token) -> bool:
    """Whether the token is a "than" with something of its own to compare: a phrase ("than
    *The Producers*", "than *in Argentina*", "than ever before") or a clause with its subject
    ("than *it was* a year earlier"). Not a bound on a number ("more than 50", a quantmod of
    it), "than expected", "more than double", nor a word of a name ("More Than A Woman")."""
    if token.lower_ != "than" or token.dep_ == "quantmod" or token.ent_type_:
        return False
    if token.dep_ == "mark":
        return any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in token.head.children)
    return any(True for _ in token.children)


def names_unmentioned(question_doc, focus, best: SpanCandidate) -> bool:
    """Whether the question names things (not dates or figures) and the release of `best`
    mentions none of them, the focus included: another filler of the slot there fills it
    for another event ("China's airline makes its debut in London" for "Did NTPC make its
    debut on the Bombay Stock Exchange?"). Where the release names the focus or another of
    them, the missing one may be the conflicting value itself ("Did WorldCom change its
    name to *Verizon*?"), unless it is the asked verb's subject or object: that names the
    event."""
    others = [
        e.text
        for e in question_doc.ents
        if e.label_ not in VALUE_LABELS and (e.end <= focus.start or focus.end <= e.start)
    ]
    if not others:
        return False
    text = release_text(best)
    if names_focus(focus, text):
        return False
    missing = unnamed_entities(question_doc, focus, text)
    # The asked verb's subject or object other than the focus ("Did Softbank buy *Japan
    # Telecom*?") names the event: a release that never names it reports another.
    verb = predicate_token(question_doc)
    core = [
        e.text
        for e in question_doc.ents
        if e.text in others
        and verb is not None
        and e.root.head.i == verb.i
        and e.root.dep_ in ("nsubj", "nsubjpass", "dobj")
    ]
    return all(name in missing for name in others) or any(name in missing for name in core)


def core_noun_unmentioned(question_doc, focus, best: SpanCandidate) -> str | None:
    """A common noun heading the asked verb's subject, object or prepositional object ("a joint
    *declaration* signed", "paid *by credit card*") that the release of `best` never mentions,
    or None. Words of a figure or date ("three *months*") are values, checked as such."""
    verb = predicate_token(question_doc)
    if verb is None:
        return None
    nouns = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")]
    # and the objects of its prepositions ("pay *by credit card*", "die *of heart failure*"),
    # unless a clause of their own says which one is meant ("in the match *where* ...
    # crossed the line"): that names the event, not a detail asked of it
    nouns += [
        g
        for c in verb.children
        if c.dep_ in ("prep", "agent")
        for g in c.children
        if g.dep_ == "pobj" and not any(d.dep_ in ("relcl", "acl") for d in g.children)
    ]
    if verb.dep_ == "acl":
        nouns.append(verb.head)  # "Was *a declaration* signed ...?" read as a clause of it
    nouns = [
        t
        for t in nouns
        if t.pos_ == "NOUN"
        and t.is_alpha
        and not t.ent_type_
        and not unit_of_figure(t)
        and not focus.start <= t.i < focus.end
    ]
    # The noun that ends a hyphenated word ("a follow-*up*") is named with the whole word's
    # first part ("followed"): the parts alone are not what the question says.
    nouns = [_hyphen_start(t) for t in nouns]
    text = release_text(best)
    missing = unmentioned_nouns(question_doc, nouns, text)
    return missing[0] if missing else None


def _hyphen_start(token):
    """The first token of the hyphenated word `token` ends ("follow" of "follow-up"), else the
    token itself."""
    doc = token.doc
    i = token.i
    while (
        i >= 2
        and doc[i - 1].text == "-"
        and not doc[i - 1].whitespace_
        and not doc[i - 2].whitespace_
    ):
        i -= 2
    return doc[i]
