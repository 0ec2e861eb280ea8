"""Narrowing an answering sentence to the phrase the question asks for.

The question's type (who -> names, when -> dates, how many -> numbers, where -> places) selects
the phrase candidates of rag.phrases; each is scored by how surely it is the answer: its
position (agent of "by ...", subject of a verb the question uses), its closeness to the
question's words, and whether it names the kind of thing asked for. Phrases the question already
gives (its own names, or siblings in a list with one of them) are never the answer.
"""

from __future__ import annotations

import re

from rag import phrases as ph
from rag import query as query_mod
from rag.text_utils import stem
from rag.types import Document

# The question's own interrogative is its first wh-word; a later "when"/"where"/"who" opens a
# clause ("What did he say when he spoke in Tashkent?") and says nothing of the answer's type.
_WH_RE = re.compile(r"\b(what|which|who|whom|whose|when|where|how|why)\b")


def answer_type(question: str) -> str:
    q = question.lower()
    first_wh = _WH_RE.search(q)
    wh = first_wh.group(1) if first_wh else ""
    if re.search(
        r"\bhow (many|much|long)\b|\bwhat (number|percentage|share)\b|"
        r"\bwhat (was|is|were) the (total |overall )?(budget|cost|amount|price|sum|figure)\b",
        q,
    ):
        return ph.NUMBER
    if wh == "when" or re.search(r"\b(what|which) (years?|dates?|days?|months?)\b", q):
        return ph.DATE
    if wh == "where" or re.search(
        r"\b(what|which|in what|in which) (city|town|place|venue|capital)\b", q
    ):
        return ph.PLACE
    if wh in ("who", "whom", "whose"):
        return ph.ENTITY
    if re.search(
        r"\b(which|what)\s+(\w+\s+)?(countries|country|governments?|states?|nations?|"
        r"organi[sz]ations?|agenc(y|ies)|units?|offices?|body|bodies|institutions?|officials?|"
        r"ministers?|ministry|person|people|ambassador|department|partners?|donors?|sponsors?)\b",
        q,
    ) or re.search(r"\bwhat is the name\b|\bname the\b", q):
        return ph.ENTITY
    return ph.SENTENCE


def _question_stems(question: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w’'-]+", question.lower())}


def asks_person(question: str) -> bool:
    """'Who is/was ...?': only a personal name answers it."""
    return _COPULAR_WHO_RE.search(question) is not None


def _given(word: str, q_stems: set[str]) -> bool:
    """Whether the question already uses `word`, as such or in a related form.

    A shared stem of four letters or more counts ("Afghan" ~ "Afghanistan", "Asia" ~ "Asian").
    """
    w = stem(word.lower())
    if w in q_stems:
        return True
    return len(w) >= 4 and any(
        len(q) >= 4 and (q.startswith(w) or w.startswith(q)) for q in q_stems
    )


# Questions about an amount of money, and the amounts that can answer them.
_MONEY_QUESTION = re.compile(
    r"\bhow much\b(?!\s+(time|longer|later|earlier))(?=.*\b(money|fund\w*|cash|cost\w*|"
    r"contribut\w*|pa(y|id)|spen[dt]|donat\w*|give|gave|budget|worth)\b)|"
    r"\b(budget|cost|price|amount of money|sum)\b"
)
_MONEY = re.compile(
    r"[$€£¥]|\b(euros?|eur|dollars?|usd|pounds?|gbp|francs?|chf|roubles?|rubles?|yen|"
    r"tenge|som|manat|somoni|sums?|lari|dinars?|crowns?|kroner?|kronor|million|billion)\b",
    re.I,
)
# Capitalised common nouns that name a kind of thing, not one thing ("OSCE participating States").
_CATEGORY_STEMS = frozenset(
    stem(w)
    for w in [
        *("states", "countries", "governments", "nations", "organizations", "organisations"),
        *("partners", "members", "participants", "officials", "ministers", "agencies"),
    ]
)
# "which countries / governments / states / nations": the answer names countries.
_COUNTRY_NOUN_STEMS = frozenset(
    stem(w)
    for w in [
        *("country", "countries", "government", "governments"),
        *("state", "states", "nation", "nations"),
    ]
)
# Words that mark what the question names as an exception, not a sibling of the answer.
_EXCEPT_RE = re.compile(r"\b(besides|apart from|other than|except|excluding|in addition to)\b")
# "who is/was the ...": the question asks for a person's name.
_COPULAR_WHO_RE = re.compile(r"^\s*who\s+(is|was|are|were|'s|’s)\b|^\s*who's\b", re.I)


def _proximity(span: tuple[int, int], anchors: list[int]) -> float:
    """1 / (1 + distance in ~words) from the span to the nearest matched question word."""
    if not anchors:
        return 0.0
    dist = min(span[0] - a if a < span[0] else max(0, a - span[1]) for a in anchors)
    return 1.0 / (1.0 + max(0, dist) / 6.0)


def _novel_items(
    sentence: str, phrase: ph.Phrase, q_stems: set[str], exclusive: bool = False
) -> ph.Phrase | None:
    """A name list minus items the question already names ('Kevin Carty, the OSCE Adviser').

    In a coordinated list ('Belgium, Norway, the Russian Federation and Japan') that holds an
    item the question names, the other items are that item's siblings, not what the question
    asks about ("Who represented Japan?"), unless the question excludes it ("Besides Norway").
    """
    items = [(m.start(), m.end()) for m in re.finditer(r"[^,]+?(?=,\s|\s+and\s|$)", phrase.text)]
    coordinated = re.search(r"(,|\s)\s*(and|as well as)\s", phrase.text) is not None
    keep = []
    for a, b in items:
        item = re.sub(r"^\s*(and\s+)?(the\s+)?", "", phrase.text[a:b])
        words = [w for w in re.findall(r"[\w’'-]+", item) if w.lower() not in ("the", "of", "and")]
        if any(stem(w.lower()) not in q_stems for w in words):
            keep.append((a, b))
    if not keep:
        return None
    if coordinated and len(keep) < len(items) and not exclusive:
        return None
    if len(keep) == len(items):
        return phrase
    a, b = keep[0]
    while a < len(phrase.text) and phrase.text[a] in " ,":
        a += 1
    text = re.sub(r"^(and\s+)", "", phrase.text[a:b])
    a = b - len(text)
    return ph.Phrase(phrase.start + a, phrase.start + b, text, phrase.kind)


_COUNT_STOP = frozenset(
    [
        "did",
        "do",
        "does",
        "were",
        "was",
        "are",
        "is",
        "had",
        "have",
        "has",
        "took",
        "take",
        "attended",
        "attend",
        "came",
        "come",
        "will",
        "would",
        "could",
        "can",
        "from",
        "at",
        "in",
        "of",
        "on",
        "for",
        "to",
        "by",
        "besides",
        "with",
        "who",
        "that",
        "which",
    ]
)


_ORG_WORDS = frozenset(
    [
        "office",
        "unit",
        "organization",
        "organisation",
        "ministry",
        "government",
        "centre",
        "center",
        "council",
        "department",
        "agency",
        "federation",
        "nations",
        "union",
        "osce",
        "chairmanship",
        "secretariat",
        "project",
        "programme",
        "mission",
        "states",
        "bank",
    ]
)


def _looks_like_person(text: str) -> bool:
    """Two to four capitalised words, no organisation words or acronyms: 'Kevin Carty'."""
    first = re.split(r",|\band\b", text)[0].strip()
    words = re.sub(r"\b(Mr|Mrs|Ms|Dr|Gen|Prof)\.\s*", "", first).split()
    return (
        2 <= len(words) <= 4
        and all(w[:1].isupper() and not w.isupper() for w in words)
        and not any(w.lower().strip(".,") in _ORG_WORDS for w in words)
    )


_NAME_PARTICLES = frozenset(
    ["de", "da", "di", "van", "von", "der", "den", "du", "la", "le", "bin", "al"]
)
_ROLE_WORDS = frozenset(
    [
        "secretary",
        "general",
        "minister",
        "deputy",
        "head",
        "ambassador",
        "director",
        "adviser",
        "advisor",
        "officer",
        "president",
        "chairman",
        "chairperson",
        "chair",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "representative",
        "envoy",
        "chief",
        "commissioner",
        "coordinator",
        "co-ordinator",
        "senior",
        "police",
        "interior",
        "foreign",
        "affairs",
        "prime",
        "assistant",
        "special",
        "high",
        "executive",
        "member",
        "members",
        "participants",
        "experts",
        "official",
        "officials",
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "prof",
        "col",
        "lt",
        "capt",
        "amb",
        "sen",
        "gov",
    ]
)


_REGION_WORDS = frozenset(
    [
        *("asia", "europe", "africa", "america", "americas", "oceania", "caucasus", "balkans"),
        *("middle", "central", "north", "south", "east", "west"),
        *("northern", "southern", "eastern", "western"),
    ]
)


def _country_spans(phrase: ph.Phrase) -> list[ph.Phrase]:
    """The country names inside a longer name ('... Minister of Kazakhstan' -> 'Kazakhstan')."""
    out = []
    for m in re.finditer(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*", phrase.text):
        run = re.sub(r"['’]s$", "", m.group())
        if run.lower() in query_mod.countries():
            start = phrase.start + m.start()
            out.append(ph.Phrase(start, start + len(run), run, phrase.kind))
    return out


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [*("two", "three", "four", "five", "six"), *("seven", "eight", "nine", "ten")], start=2
    )
}
_COUNT_WORD_RE = "|".join([*_NUMBER_WORDS, r"\d+"])


def _count_value(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _list_items(text: str) -> list[str]:
    """The items of a coordinated list ('Belgium, Norway and Japan' -> 3)."""
    return [i for i in re.split(r",|\band\b|\bas well as\b", text) if i.strip()]


def has_person_name(text: str) -> bool:
    """Whether `text` holds a personal name: two or more capitalised words in a row that are
    not titles, organisation words, acronyms or known places ('Marc Perrin de Brichambaut')."""
    countries = query_mod.multiword_country_re()
    if countries is not None:
        text = countries.sub(",", text)  # "the United Kingdom" is no "John Smith"
    run = 0
    for token in re.findall(r"[\w’'.-]+", text):
        word = token.strip(".")
        low = word.lower()
        if run and low in _NAME_PARTICLES:
            continue
        is_name = (
            word[:1].isupper()
            and not word.isupper()
            and low not in _ROLE_WORDS
            and low not in _ORG_WORDS
            and low not in query_mod.gazetteer()
            and low not in _REGION_WORDS
            and not re.search(r"['’]s$", word)
        )
        run = run + 1 if is_name else 0
        if run >= 2:
            return True
    return False


def _describes_given(text: str, q_stems: set[str]) -> bool:
    """A name with an apposition the question already uses ('X, Deputy Head of the Centre' for
    a question about 'the Centre's deputy head'): the question names that entity itself."""
    items = [i.strip() for i in text.split(",")[1:] if i.strip()]
    for item in items:
        words = [w for w in re.findall(r"[\w’'-]+", item.lower()) if len(w) > 2]
        words = [w for w in words if w not in ("the", "and", "for")]
        if sum(_given(w, q_stems) for w in words) >= 2:
            return True
    return False


PHRASE_MARGIN = 0.25  # fit gap under which two phrases are a toss-up: answer the sentence


def narrow(
    sentence: str, question: str, kind: str, doc: Document, anchors: list[int]
) -> tuple[ph.Phrase | None, float]:
    """(answer phrase of the expected kind in `sentence`, fit in [0, 1]); (None, 0) if unsure."""
    return _narrow(sentence, question, kind, doc, anchors, [False])


def narrow_checked(
    sentence: str, question: str, kind: str, doc: Document, anchors: list[int]
) -> tuple[ph.Phrase | None, float, bool]:
    """narrow() plus whether another phrase of the sentence fits almost as well."""
    ambiguous = [False]
    phrase, fit = _narrow(sentence, question, kind, doc, anchors, ambiguous)
    return phrase, fit, ambiguous[0]


def _narrow(
    sentence: str,
    question: str,
    kind: str,
    doc: Document,
    anchors: list[int],
    ambiguous: list[bool],
) -> tuple[ph.Phrase | None, float]:
    q_stems = _question_stems(question)
    q_lower = question.lower()

    def novel(text: str) -> bool:
        return any(
            not _given(w, q_stems)
            for w in re.findall(r"[\w’'-]+", text)
            if w.lower() not in ("the", "and", "of")
        )

    def best(found: list[ph.Phrase], bonus, category=None) -> tuple[ph.Phrase | None, float]:
        """The best-fitting phrase, unless `category(phrase)` says it is not the kind of thing
        asked for (no country for "which countries"): then the sentence has no answer phrase."""
        if category is not None:
            found = [f for f in found if category(f)]
        if not found:
            return None, 0.0
        scored = sorted(
            ((bonus(f) + _proximity((f.start, f.end), anchors), f) for f in found),
            key=lambda t: -t[0],
        )
        fit, phrase = scored[0]
        # Two phrases fitting almost equally well: neither is certain (see phrase_margin).
        margin = fit - scored[1][0] if len(scored) > 1 else fit
        ambiguous[0] = margin < PHRASE_MARGIN
        return phrase, min(1.0, fit)

    if kind == ph.DATE:
        found = [d for d in ph.dates(sentence) if d.text.lower() not in q_lower]
        dateline = ph.dateline_end(sentence)

        def date_bonus(d: ph.Phrase) -> float:
            if d.end <= dateline:
                return 0.6  # the dateline's date is when the release's event happened
            return 0.3 if len(d.text) > 4 else 0.0

        return best(found, date_bonus)
    if kind == ph.NUMBER:
        # The thing counted: "how many [participating States] did ..." -> its words.
        after = re.search(r"\bhow many\s+([^,;?]*)", q_lower)
        counted_words: list[str] = []
        for w in after.group(1).split() if after else []:
            if w in _COUNT_STOP:
                break
            counted_words.append(stem(w))
        counted = set(counted_words[-4:])
        duration = (
            re.search(r"\bhow long\b|\bhow many (hours|days|weeks|months|years)\b", q_lower)
            is not None
        )
        head_noun = counted_words[-1] if counted_words else ""
        modifiers = [w for w in counted_words[-4:-1] if w not in ("and", "or", "the", "of")]
        wants_money = _MONEY_QUESTION.search(q_lower) is not None
        out = []
        for n in ph.numbers(sentence):
            words = n.text.split()
            # Keep the tail up to the noun the question counts ("90 experts"), else 1 word.
            head = ph.NUMBER_RE.match(n.text)
            head_len = len(head.group().split()) if head else 1
            tail = words[head_len:]
            tail_stems = [stem(w.lower().strip(".,;:")) for w in tail]
            hits = [i for i, t in enumerate(tail_stems) if t in counted]
            cut = (
                hits[-1]
                if hits
                else next((i for i, t in enumerate(tail_stems) if t in q_stems), None)
            )
            keep = head_len + (cut + 1 if cut is not None else min(1, len(tail)))
            text = " ".join(words[:keep]).rstrip(".,;:")
            if not novel(words[0]):
                continue
            amount = sentence[max(0, n.start - 2) : n.start] + " ".join(words[: head_len + 2])
            after_number = sentence[n.start + (head.end() if head else 0) :]
            if not duration and re.match(r"-(hour|day|week|month|year)\b", after_number):
                continue  # "a two-day conference" says how long, not how many
            if wants_money and not _MONEY.search(amount):
                continue  # "how much money": a count of people is no amount
            if (
                not duration
                and head_noun
                and head_noun not in tail_stems
                and any(not any(_given(t, {m}) for t in tail) for m in modifiers)
            ):
                continue  # counts something else: "90 experts" for "how many Afghan officials"
            is_duration = duration and re.search(
                r"\b(hour|day|week|month|year)s?\b", n.text.lower()
            )
            if is_duration or (head_noun and head_noun in tail_stems):
                bonus_value = 0.6
            else:
                bonus_value = 0.3 if hits else (0.2 if cut is not None else 0.0)
            out.append((ph.Phrase(n.start, n.start + len(text), text, ph.NUMBER), bonus_value))
        bonus = {id(p): b for p, b in out}
        return best([p for p, _ in out], lambda p: bonus[id(p)])
    if kind == ph.PLACE:
        known = query_mod.gazetteer()
        meta = {doc.place.lower(), doc.country.lower()} - {""}
        found = [
            n
            for n in ph.names(sentence)
            if novel(n.text) and (n.text.lower() in known or n.text.lower() in meta)
        ]
        if ph.dateline_end(sentence) and doc.place:
            # The dateline names where the release's event happened: "VIENNA, 8 July 2010 -".
            m = re.match(r"[A-Z][A-Z .'’-]+", sentence)
            if m and novel(m.group()):
                text = m.group().rstrip(" ,")
                found.append(ph.Phrase(0, len(text), text, ph.PLACE))

        def place_bonus(n: ph.Phrase) -> float:
            if n.start == 0 and ph.dateline_end(sentence):
                return 1.0  # the dateline place is where the event was
            return 0.5 if n.text.lower() in meta else 0.0

        return best(found, place_bonus)
    if kind == ph.ENTITY:
        exclusive = _EXCEPT_RE.search(q_lower) is not None
        copular_who = _COPULAR_WHO_RE.search(question) is not None
        found = []
        for n in ph.names(sentence):
            trimmed = _novel_items(sentence, n, q_stems, exclusive)
            if trimmed is None or not novel(trimmed.text):
                continue
            if " " not in trimmed.text and stem(trimmed.text.lower()) in _CATEGORY_STEMS:
                continue  # "participating States": the category, not a name in it
            if copular_who and not has_person_name(trimmed.text):
                continue  # "Who was the Interior Minister?" is answered by a name
            asks_identity = copular_who or q_lower.lstrip().startswith(("which", "what"))
            if not asks_identity and _describes_given(trimmed.text, q_stems):
                continue  # "According to the deputy head, who ...": the source, not the answer
            found.append(trimmed)

        wants_person = re.search(r"\bwho(m|se)?\b", q_lower) is not None
        # The words naming what is asked for: "which UN body", "which national ministry".
        asked = re.search(r"\b(?:which|what)\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)", q_lower)
        asked_stems = {stem(w) for w in asked.group(1).split()} if asked else set()
        asked_stems -= {stem(w) for w in ("the", "a", "an", "of", "did", "was", "were", "is")}
        speech = re.search(
            r"\b(say|said|says|tell|told|state|stated|urge|urged|add|added|"
            r"according|warn|warned|emphasi[sz]ed|note|noted)\b",
            q_lower,
        )

        acronyms = {w for w in re.findall(r"\b[A-Z]{2,}\b", question)}
        wants_country = bool(asked_stems & _COUNTRY_NOUN_STEMS)

        def bonus(n: ph.Phrase) -> float:
            extra = 0.0
            tokens = re.findall(r"[\w’'-]+", n.text)
            if asked_stems & {stem(w.lower()) for w in tokens} or any(
                t.startswith(a) and t != a for t in tokens for a in acronyms
            ):
                extra += 0.4  # names what was asked for ("UN Office ..." for "which UN body")
            if wants_country and query_mod.mentions_country(n.text):
                extra += 0.4
            if wants_person and _looks_like_person(n.text):
                extra += 0.4
                if speech and re.search(
                    r"\b(said|says|told|stated|added|urged|warned|noted|emphasi[sz]ed)\b",
                    sentence[max(0, n.start - 25) : n.end + 25],
                ):
                    extra += 0.25
            if any(0 < a - n.end <= 1 for a in anchors):
                # "An OSCE workshop": the name modifies the thing asked about; not the answer.
                return -0.5
            return extra + _agent_bonus(n)

        def _agent_bonus(n: ph.Phrase) -> float:
            before = sentence[: n.start].rstrip().lower()
            agent = 0.4 if re.search(r"\bby(\s+the)?$", before) else 0.0
            if re.search(r"\bfrom(\s+the)?$", before):
                agent = 0.1
            # The subject of an active sentence whose verb matches the question.
            after = [a for a in anchors if a >= n.end]
            if n.start <= ph.dateline_end(sentence) + 4 and after and after[0] - n.end < 20:
                agent = max(agent, 0.4)
            return agent + (0.1 if ("," in n.text or " and " in n.text) else 0.0)

        def is_country(n: ph.Phrase) -> bool:
            """Mostly country names (or their governments), no person among them."""
            if has_person_name(n.text):
                return False
            items = _list_items(n.text)
            countries = sum(query_mod.mentions_country(i) for i in items)
            return countries * 2 >= len(items)

        # "Which four governments ...": a list of four, not any one name.
        counted = re.search(rf"\b(?:which|what)\s+({_COUNT_WORD_RE})\s+\w", q_lower)
        wanted_items = _count_value(counted.group(1)) if counted else 0

        def fits(n: ph.Phrase) -> bool:
            if wanted_items and len(_list_items(n.text)) != wanted_items:
                return False
            return is_country(n) if wants_country else True

        if wants_country:
            # "Serik Baymaganbetov, the Interior Minister of Kazakhstan, which holds the
            # Chairmanship": the country inside a longer name can be the answer on its own.
            found += [c for n in found if not is_country(n) for c in _country_spans(n)]
        return best(found, bonus, fits)
    return None, 0.0
