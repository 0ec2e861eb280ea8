"""Claim-level checking of a generated answer against the passages each sentence cites.

The generator numbers the passages it shows the model ([1], [2], ...) and asks for a marker
after every sentence. Each generated sentence is then checked on its own, lexically and
deterministically (no second model to trust):

1. Markers: a sentence needs at least one `[n]` naming a passage that was shown; a sentence
   without one, or citing only numbers that were not shown, is unsupported.
2. Terms: the sentence's checkable terms are
   - names: capitalised words and acronyms ("Government", "Norway", "UNODC"); a sentence's
     first word counts as a name when it is an acronym, starts a multi-word name, or appears
     capitalised inside a passage;
   - numbers: digits and number words, normalised ("150", "1,000" = "1000", "two" = "2");
   - dates: month names (day and year numbers are numbers);
   - key terms: the other content words, stemmed, except words the question itself uses
     ("funded", "conference": the question's framing, which the passage may paraphrase as
     "financed") and a few answer-framing words ("passage", "according").
3. Support: every name, number and month must occur in the cited passage(s), and at least
   half of the key terms, all within one window of at most two adjacent sentences of a cited
   passage (several cited passages may each supply a window), or in that passage's header
   (title, place and date, which the model is shown with the passage). A sentence with no
   checkable term at all ("The passages do not say.") is unsupported, so is one that only
   restates the question ("The 2008 Vienna conference was funded."), and so is a negated
   sentence ("not", "never", ...) whose supporting window has no negation.

An unsupported sentence is removed from the answer; the supporting windows of the kept ones
become the citations' verbatim quotes. Known limits: it checks that the words are there, not
the relation between them ("Japan funded X" passes when a window names Japan and X funding in
another role), and qualifiers such as "more than" are not compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.ingestion.chunking import split_sentences
from rag.text_utils import MONTH_NAMES, STOPWORDS, human_date, stem
from rag.values import Hit

# [1], [1, 2], [1][2], [Passage 1]
MARKER_RE = re.compile(r"\[\s*(?:passage\s*)?(\d+(?:\s*[,;]\s*(?:passage\s*)?\d+)*)\s*\]", re.I)
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|without|none)\b|n['’]t\b", re.I)
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_NUMBER_WORDS = {
    **{w: str(i) for i, w in enumerate(_UNITS.split())},
    **{w: str(v) for w, v in _TENS.items()},
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
}
# Too often a pronoun ("one of the") to be a claimed number in a generated sentence.
_AMBIGUOUS_NUMBERS = {"one", "zero"}
_FRAMING = {
    stem(w) for w in ("passage", "passages", "release", "text", "mention", "according", "says")
}
MIN_KEY_TERM_SHARE = 0.5
WINDOW = 2  # adjacent passage sentences one claim may draw on


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk shown to the model as passage `n`."""

    n: int
    hit: Hit

    def header(self) -> str:
        doc = self.hit.document
        where = ", ".join(p for p in (doc.place, doc.country) if p)
        when = human_date(doc.date)
        return " | ".join(p for p in (doc.title, where, when) if p)


@dataclass
class GeneratedSentence:
    text: str  # without its markers
    cites: list[int]


@dataclass
class Check:
    sentence: GeneratedSentence
    supported: bool
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    # passage n -> (start, end) in its document's text: the window that supports the claim
    windows: dict[int, tuple[int, int]] = field(default_factory=dict)


def split_generated(text: str) -> list[GeneratedSentence]:
    """Sentences of a generated answer with their markers; markers opening a sentence
    ('... Japan. [1] It ...') belong to the sentence before."""
    out: list[GeneratedSentence] = []
    for span in split_sentences(text):
        raw = text[span.start : span.end]
        lead = re.match(rf"(?:\s*{MARKER_RE.pattern})+", raw, re.I)
        if lead and out:
            out[-1].cites.extend(_marker_numbers(lead.group()))
            raw = raw[lead.end() :]
        cites = _marker_numbers(raw)
        clean = " ".join(MARKER_RE.sub(" ", raw).split())
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if re.search(r"\w", clean):
            out.append(GeneratedSentence(clean, cites))
        elif cites and out:
            out[-1].cites.extend(cites)
    for s in out:
        s.cites = list(dict.fromkeys(s.cites))
    return out


def _marker_numbers(text: str) -> list[int]:
    return [int(n) for m in MARKER_RE.finditer(text) for n in re.findall(r"\d+", m.group(1))]


def _number(token: str) -> str | None:
    if token[0].isdigit():
        value = token.replace(",", "").rstrip(".")
        try:
            number = float(value)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() else str(number)
    return _NUMBER_WORDS.get(token.lower())


def _keys(text: str) -> set[str]:
    """Every key a passage text can support: words (for names), numbers, months, stems."""
    keys: set[str] = set()
    for tok in _TOKEN.findall(text):
        low = re.sub(r"['’]s$", "", tok.lower())
        for part in [low, *low.split("-")] if "-" in low else [low]:
            num = _number(part)
            if num is not None:
                keys.add(f"num:{num}")
            keys.add(f"name:{part}")
            keys.add(f"stem:{stem(part)}")
    return keys


@dataclass
class Terms:
    required: dict[str, str]  # key -> surface form: names, numbers, months
    key_terms: dict[str, str]  # key -> surface form: stemmed content words


def claim_terms(sentence: str, question: str, passage_capitals: set[str]) -> Terms:
    tokens = list(_TOKEN.finditer(sentence))
    question_stems = {stem(w.lower()) for w in _TOKEN.findall(question)}
    required: dict[str, str] = {}
    key_terms: dict[str, str] = {}
    for i, m in enumerate(tokens):
        tok = m.group()
        low = re.sub(r"['’]s$", "", tok.lower())
        parts = low.split("-") if "-" in low else [low]
        numbers = [_number(p) for p in parts if p not in _AMBIGUOUS_NUMBERS]
        if tok[0].isdigit() or any(numbers):
            for num in numbers:
                if num is not None:
                    required[f"num:{num}"] = tok
            continue
        if low in MONTH_NAMES and (tok[0].isupper() or low != "may"):
            required[f"name:{low}"] = tok
            continue
        if low in STOPWORDS or len(low) < 2:
            continue
        if tok[0].isupper() and _is_name(tokens, i, low, passage_capitals):
            required[f"name:{low}"] = tok
            continue
        s = stem(low)
        if s in question_stems or s in _FRAMING:
            continue
        key_terms[f"stem:{s}"] = tok
    return Terms(required, key_terms)


def _opens_sentence(text: str, tokens: list[re.Match], i: int) -> bool:
    return i == 0 or bool(re.search(r"[.!?:\n]", text[tokens[i - 1].end() : tokens[i].start()]))


def _is_name(tokens: list[re.Match], i: int, low: str, passage_capitals: set[str]) -> bool:
    tok = tokens[i].group()
    if not _opens_sentence(tokens[i].string, tokens, i):
        return True
    following = tokens[i + 1].group() if i + 1 < len(tokens) else ""
    return (
        (tok.isupper() and len(tok) > 1)
        or (following[:1].isupper() and following.lower() not in STOPWORDS)
        or low in passage_capitals
    )


def _capitals(text: str) -> set[str]:
    """Lower-cased words written capitalised somewhere other than a sentence start."""
    tokens = list(_TOKEN.finditer(text))
    return {
        m.group().lower()
        for i, m in enumerate(tokens)
        if m.group()[0].isupper() and not _opens_sentence(text, tokens, i)
    }


class PassageIndex:
    """Per passage: its header's keys, its sentences' spans and keys (computed once)."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = {p.n: p for p in passages}
        self.header_keys: dict[int, set[str]] = {}
        self.sentences: dict[int, list[tuple[int, int, set[str], bool]]] = {}
        self.capitals: set[str] = set()
        for p in passages:
            doc, chunk = p.hit.document, p.hit.chunk
            self.header_keys[p.n] = _keys(p.header())
            self.capitals |= _capitals(p.header() + " " + chunk.text)
            self.sentences[p.n] = [
                (
                    s.start,
                    s.end,
                    _keys(doc.text[s.start : s.end]),
                    bool(_NEGATION.search(doc.text[s.start : s.end])),
                )
                for s in split_sentences(doc.text, chunk.start, chunk.end)
            ]

    def windows(self, n: int) -> list[tuple[int, int, set[str], bool]]:
        sents = self.sentences.get(n, [])
        out = []
        for i in range(len(sents)):
            for j in range(i, min(len(sents), i + WINDOW)):
                keys = set().union(*(s[2] for s in sents[i : j + 1]))
                out.append((sents[i][0], sents[j][1], keys, any(s[3] for s in sents[i : j + 1])))
        return out


def check_sentence(sentence: GeneratedSentence, question: str, index: PassageIndex) -> Check:
    valid = [n for n in sentence.cites if n in index.passages]
    if not sentence.cites:
        return Check(sentence, False, "cites no passage")
    if not valid:
        shown = len(index.passages)
        return Check(sentence, False, f"cites a passage that was not shown (1..{shown})")
    terms = claim_terms(sentence.text, question, index.capitals)
    wanted = {**terms.required, **terms.key_terms}
    if not wanted:
        return Check(sentence, False, "states nothing a passage could support")
    if not terms.key_terms and set(terms.required) <= _keys(question):
        return Check(sentence, False, "only restates the question")
    header = set().union(*(index.header_keys[n] for n in valid))
    remaining = set(wanted) - header
    windows: dict[int, tuple[int, int]] = {}
    negated_support = False
    # Greedy cover: the window (of any cited passage) adding most support, until none adds any.
    while remaining:
        best = None
        for n in valid:
            if n in windows:
                continue
            for start, end, keys, negated in index.windows(n):
                gain = (len(remaining & keys), start - end)  # more support, then shorter
                if gain[0] and (best is None or gain > best[0]):
                    best = (gain, n, start, end, keys, negated)
        if best is None:
            break
        _, n, start, end, keys, negated = best
        windows[n] = (start, end)
        negated_support |= negated
        remaining -= keys
    if not windows:  # everything came from a header: quote the passage's first sentence
        first = index.sentences[valid[0]]
        if first:
            windows[valid[0]] = (first[0][0], first[0][1])
    missing_required = [wanted[k] for k in terms.required if k in remaining]
    missing_terms = [wanted[k] for k in terms.key_terms if k in remaining]
    cited = ", ".join(f"[{n}]" for n in valid)
    if missing_required:
        return Check(
            sentence,
            False,
            f"not in passage {cited}: {', '.join(missing_required)}",
            missing_required,
        )
    if terms.key_terms:
        share = 1 - len(missing_terms) / len(terms.key_terms)
        if share < MIN_KEY_TERM_SHARE:
            return Check(
                sentence,
                False,
                f"too few of its terms are in passage {cited}: {', '.join(missing_terms)}",
                missing_terms,
            )
    if _NEGATION.search(sentence.text) and not negated_support:
        return Check(sentence, False, f"negates what passage {cited} says", [])
    return Check(sentence, True, "", missing_terms, windows)
