"""The focus of a yes/no question and the wh-question made from it.

"Did Japan fund the Astana meeting?" asks about *Japan* (its focus: the named entity or number
that no metadata constraint took); the releases answer the wh-question that puts a wh-word of
the focus's entity type in its place ("Who did fund the Astana meeting?"). Read off spaCy's
parse (rag.answering.question_analysis); used by rag.answering.yes_no and question_kinds.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from rag.answering.quantities import comparison, implies, number_value, stated_comparison
from rag.index.store import Snapshot
from rag.ingestion.chunking import split_sentences
from rag.text_utils import WORD_CHARS

# The wh-word that asks for an entity of a spaCy label (any other label: "what").
WH_FOR_LABEL = {
    "PERSON": "who",
    "ORG": "who",
    "NORP": "who",
    "GPE": "where",
    "LOC": "where",
    "FAC": "where",
    "DATE": "when",
    "TIME": "when",
    "CARDINAL": "how many",
    "QUANTITY": "how much",
    "MONEY": "how much",
    "PERCENT": "how much",
}


# Labels of values rather than names: a span may state one more loosely than the question
# ("150" for "more than 150").
VALUE_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})
AMOUNTS = frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL"})
# Dependencies of a noun: a word the tagger read as a verb that holds one is a noun.
_NOMINAL = frozenset({"nsubj", "nsubjpass", "attr", "dobj", "pobj", "compound", "appos"})
# A year, which a release may give once, in its dateline, apart from the rest of a date.
_YEAR = re.compile(r"(1[89]|20)\d\d")
# Labels of collective actors: a government acts as its country ("the Government of Norway"
# funds where "Japan" would), so either fills a "who" slot a country is asked about.
ACTOR_LABELS = frozenset({"ORG", "GPE", "NORP"})
# Labels of places: countries, regions and sites are listed together ("in Egypt, the Gulf of
# Mexico and Angola").
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


def _words(text: str) -> str:
    return " ".join(WORD_CHARS.findall(text.lower()))


def _holds(container: str, words: str) -> bool:
    """Whether `words` occur in `container` as whole words (both as _words gives them)."""
    return bool(words) and f" {words} " in f" {container} "


def names_focus(focus, text: str) -> bool:
    """Whether `text` (a span or a sentence) names the focus: its words, as whole words ("Japan"
    is not named by "Japanese"), or, for a value, the value with the question's qualifiers left
    out ("150" for "more than 150"; not "2014" for "November 2014", which is more precise)."""
    # spaCy's span of an organisation may open with its article ("the UNODC").
    name = focus[1:] if len(focus) > 1 and focus[0].pos_ == "DET" else focus
    target, found = _words(_written(name)), _words(text)
    if _holds(found, target) or _spelled_out(name.text, text):
        return True
    if focus.label_ == "NORP" and _country_of(name.text, text):
        return True
    if focus.label_ not in VALUE_LABELS or not any(ch.isdigit() for ch in found):
        return False
    if _meets_bound(name, text) or _same_figure(name, text):
        return True
    if not _holds(target, found):
        return False
    extra = [t for t in name if t.lower_ not in found.split()]
    return not any(t.like_num or t.text[:1].isupper() for t in extra)


def _written(name) -> str:
    """The span's text with the characters written onto it: spaCy's entity for "$155m" may
    be "155" alone, which as a whole word names no "$155m" of a release."""
    doc, start, end = name.doc, name.start, name.end
    while start > 0 and not doc[start - 1].whitespace_ and _attachable(doc[start - 1]):
        start -= 1
    while end < len(doc) and not doc[end - 1].whitespace_ and _attachable(doc[end]):
        end += 1
    return doc[start:end].text


def _attachable(token) -> bool:
    return token.is_alpha or token.like_num or token.is_currency


def shares_a_name(focus, text: str) -> bool:
    """Whether `text` holds a capitalised word with the first four letters of the first
    capitalised word of the focus's name or of a name coordinated with it: "Pernod" of
    "Pernod Ricard", "Jordanian" of "France, *Jordan* and Nigeria". Such a text is no other
    filler of the focus's slot: it names the focus, or one the question asks about with it,
    another way. (Not a later word: "*National Laboratory*" is in many names; nor a value:
    "November 2007" is another date than "November 2006".)"""
    if focus.label_ in VALUE_LABELS:
        return False
    stems = set()
    for name in (focus, *(c.subtree for c in focus.root.conjuncts)):
        first = next((t.text for t in name if t.text[:1].isupper() and len(t.text) >= 4), None)
        if first is not None:
            stems.add(first[:4].lower())
    return any(
        w[:1].isupper() and len(w) >= 4 and w[:4].lower() in stems for w in WORD_CHARS.findall(text)
    )


def _country_of(demonym: str, text: str) -> bool:
    """Whether `text` names, by a capitalised word with the same first four letters, the place
    a nationality word stands for ("the Government of Norway" for "the *Norwegian*
    government"; not the other way round: "Japanese experts" do not name Japan)."""
    stems = {w[:4].lower() for w in WORD_CHARS.findall(demonym) if len(w) >= 4}
    return any(w[:1].isupper() and w[:4].lower() in stems for w in WORD_CHARS.findall(text))


_TOKENS = re.compile(r"\d[\d,]*(?:\.\d+)?|\w+")
_UNIT_WINDOW = 3  # words between a figure and what it counts ("900,000 British pounds")


def _same_figure(name, text: str) -> bool:
    """Whether `text` states the focus's one figure, given as itself or roughly ("About
    20,000 people" for "roughly 20,000"): its number in digits, written the same way, and the
    focus's other words."""
    numbers = [t for t in name if t.like_num and any(ch.isdigit() for ch in t.text)]
    if len(numbers) != 1 or comparison(numbers[0]) not in (None, "="):
        return False
    qualifiers = {t.i for t in numbers[0].subtree}  # the number and its degree words
    rest = [t for t in name if t.i not in qualifiers and not t.is_punct]
    if any(t.like_num or t.text[:1].isupper() for t in rest):
        return False
    tokens = _TOKENS.findall(text.lower())
    if not {t.lower_ for t in rest if not t.is_stop} <= set(tokens):
        return False
    # as written, with what is written onto it ("$155m", not the "$155bn" of another sum)
    figure = _written(numbers[0].doc[numbers[0].i : numbers[0].i + 1])
    return re.search(rf"(?<![\w$£€.,]){re.escape(figure)}(?![\w]|[.,]\d)", text) is not None


def _meets_bound(name, text: str) -> bool:
    """Whether `text` states a figure within the bound the focus puts on its number, counting
    what the focus counts ("900,000 pounds" for "under 1,000,000 pounds", "160 experts" for
    "more than 150 experts"; "more than 90 experts" is not "fewer than 50 experts")."""
    bounded = [(t, op) for t in name if t.like_num and (op := comparison(t)) not in (None, "=")]
    if len(bounded) != 1 or (bound := number_value(bounded[0][0].text)) is None:
        return False
    number, op = bounded[0]
    qualifiers = {t.i for t in number.subtree}  # the number and its degree words
    units = {t.lower_ for t in name if t.is_alpha and not t.is_stop and t.i not in qualifiers}
    if number.dep_ == "nummod" and number.head.pos_ == "NOUN":
        units.add(number.head.lower_)  # "more than 150 [delegates]": 1,500 what?
    if not units:
        return False  # a bare number would be met by any figure of any kind
    tokens = _TOKENS.findall(text.lower())
    for i, token in enumerate(tokens):
        value = number_value(token.replace(",", "") if token[:1].isdigit() else token)
        if value is None or not units <= set(tokens[i + 1 : i + 1 + _UNIT_WINDOW]):
            continue
        stated = stated_comparison(tokens[max(0, i - 2) : i])
        if stated is not None and implies(stated, value, op, bound):
            return True
    return False


_ACRONYM = re.compile(r"[A-Z]{2,6}")
_CAPITALISED = re.compile(r"[A-Z][\w'-]*")
_NAME_LINKS = frozenset({"of", "on", "in", "for", "and", "the", "to"})


def _spelled_out(name: str, text: str) -> bool:
    """Whether `name` is an acronym ("RFU") whose words `text` spells out ("the Rugby
    Football Union"): capitalised words whose initials are its letters, the small words of
    names ("of", "on", "and", ...) between them allowed."""
    if not _ACRONYM.fullmatch(name):
        return False
    words = re.findall(r"[\w'-]+", text)
    for i in range(len(words)):
        letters, j = "", i
        while j < len(words) and len(letters) < len(name):
            word = words[j]
            if _CAPITALISED.fullmatch(word):
                letters += word[0]
            elif word not in _NAME_LINKS or not letters:
                break
            j += 1
        if letters == name:
            return True
    return False


def asks_who(focus) -> bool:
    """Whether the focus is asked as an actor: a person or organisation, or a country as the
    subject or object of the question's verb ("Did *Japan* fund ...", "... financed by
    *Japan*"), not after "in"/"at" (a place)."""
    if focus.label_ == "GPE":
        item = _first_item(focus.root)  # "financed by Belgium and *Japan*"
        return item.dep_ in ("nsubj", "nsubjpass", "pobj", "dobj") and (
            item.head.lower_ not in ("in", "at")
        )
    return WH_FOR_LABEL.get(focus.label_) == "who"


def same_kind(focus, label: str) -> bool:
    """Whether an entity of `label` fills the slot the focus is asked in as the focus would:
    the same label, or both collective actors when the focus is asked as one."""
    if label == focus.label_:
        return True
    return asks_who(focus) and focus.label_ in ACTOR_LABELS and label in ACTOR_LABELS


def unnamed_entities(question_doc, focus, release: str) -> list[str]:
    """The question's names and numbers, besides the focus, that the release does not name: a
    release that lacks one ("against *England*" where it says Scotland, "under *ten*" where it
    says seven) is about another event, or says something else of it. A word counts as named
    when the release has a word with its first four letters ("Asian" for "Asia"); a number only
    as itself (with a unit: "800m"), and a compared one ("more than 10") need not be named."""
    vocabulary = _vocabulary(release)
    in_entity = {t.i for ent in question_doc.ents for t in ent}
    # Numbers the entity recogniser left out ("children under *ten*") count as names too.
    numbers = [
        question_doc[t.i : t.i + 1] for t in question_doc if t.like_num and t.i not in in_entity
    ]
    # So do capitalised proper nouns it left out ("Is *Ericsson* raising its dividend?"; the
    # first word is capitalised whatever it is, and the "m" of "£500m" is no name).
    names = [
        question_doc[t.i : t.i + 1]
        for t in question_doc
        if t.pos_ == "PROPN"
        and t.is_alpha
        and t.text[0].isupper()
        and t.i > 0
        and t.i not in in_entity
    ]
    missing = []
    for item in [*question_doc.ents, *numbers, *names]:
        if item.start < focus.end and focus.start < item.end:
            continue
        if not _figures_together(item, release):
            missing.append(item.text)
            continue
        if _partitive(item):
            continue  # "one of the countries" counts nothing
        if any(t.like_num and _compared(t) for t in item):
            continue
        # (not the possessive "'s" that spaCy's entity may end with: "the Forum's meetings")
        words = [
            w
            for t in item
            if t.tag_ != "POS"
            for w in WORD_CHARS.findall(t.lower_)
            if _content(question_doc, w)
        ]
        if not all(_named(question_doc, w, vocabulary) for w in words):
            missing.append(item.text)
    return missing


def _figures_together(item, release: str) -> bool:
    """Whether a value of several figures ("10 and 11 December 2014") has them all in one
    sentence of the release: each figure alone may turn up anywhere in a long one. (A year is
    no such figure: a release may give it once, in its dateline.)"""
    figures = {
        t.lower_
        for t in item
        if (t.like_num or any(ch.isdigit() for ch in t.text)) and not _YEAR.fullmatch(t.text)
    }
    if len(figures) < 2 or getattr(item, "label_", "") not in VALUE_LABELS:
        return True
    for sentence in split_sentences(release):
        words, _, leading = _vocabulary(release[sentence.start : sentence.end])
        if all(f in words or f in leading for f in figures):
            return True
    return False


def unmentioned_nouns(question_doc, nouns, release: str) -> list[str]:
    """The common nouns of the question (tokens) the release does not name, by the same
    measure as names (a word with its first four letters)."""
    vocabulary = _vocabulary(release)
    return [t.text for t in nouns if not _named(question_doc, t.lower_, vocabulary)]


def _vocabulary(text: str) -> tuple[set[str], set[str], set[str]]:
    """(words, four-letter prefixes, numbers with their unit stripped) of a text."""
    words = set(WORD_CHARS.findall(text.lower()))
    prefixes = {w[:4] for w in words if len(w) >= 4}
    leading = {w.rstrip("abcdefghijklmnopqrstuvwxyz") for w in words if w[:1].isdigit()}
    return words, prefixes, leading


def _content(doc, word: str) -> bool:
    lexeme = doc.vocab[word]
    return not lexeme.is_stop or lexeme.like_num


def _named(doc, word: str, vocabulary) -> bool:
    words, prefixes, leading = vocabulary
    if doc.vocab[word].like_num or any(ch.isdigit() for ch in word):
        return word in words or word in leading
    return word in words if len(word) < 4 else word[:4] in prefixes


def _compared(number) -> bool:
    """Whether the number is compared or approximate rather than stated: a comparative or a
    quantifier modifies it ("*more than* 10", "*over* 50", "*about* 50")."""
    return comparison(number) != "=" or any(c.tag_ in ("JJR", "RBR") for c in number.children)


_MODIFIER_DEPS = ("poss", "compound", "nummod", "amod")
_NOUNS = ("NOUN", "PROPN")


def _phrase_head(token):
    """The head noun of the phrase the token is in, through modifiers and the prepositions
    that attach it to a noun ("officials *from Mongolia*": "officials")."""
    while token.head.i != token.i:
        if token.dep_ in _MODIFIER_DEPS:
            token = token.head
        elif token.dep_ == "pobj" and token.head.dep_ == "prep" and token.head.head.pos_ in _NOUNS:
            token = token.head.head
        else:
            break
    return token


def question_focus(doc, taken: set[str], *, taken_arguments: bool = False):
    """The entity a yes/no question asks about (_question_focus), without a possessive ending
    it ("*Marks & Spencer*'s price cuts"): the releases name the owner, not the owner's "'s"."""
    foci = question_foci(doc, taken, taken_arguments=taken_arguments)
    return foci[0] if foci else None


def question_foci(doc, taken: set[str], *, taken_arguments: bool = False) -> list:
    """The entities a yes/no question may ask about, the one it most likely asks about
    (_question_focus) first, then the others from last to first: a question's subject is often
    what its release is about, and named there by a pronoun ("*It* makes cookers and ovens in
    Spennymoor" for "Does Electrolux make cookers and ovens in Spennymoor?"), where a later
    entity may still be found in its slot. A possessor ("*Unilever's* profit") says whose
    thing is asked about, as a subject does: it is not tried after the first."""
    options = _focus_options(doc, taken, taken_arguments)
    first = _question_focus(options)
    if first is None:
        return []
    ordered = [first] + [e for e, _ in reversed(options) if e != first and not _possessor(e)]
    return [_without_possessive(doc, e) for e in ordered]


def _possessor(ent) -> bool:
    return ent.root.dep_ == "poss" or ent[-1].tag_ == "POS"


def _without_possessive(doc, ent):
    if len(ent) > 1 and ent[-1].tag_ == "POS":
        return Span(doc, ent.start, ent.end - 1, label=ent.label_)
    return ent


def _focus_options(doc, taken: set[str], taken_arguments: bool) -> list:
    """(entity, its noun chunk or None) for each entity the question may ask about. Entities
    in noun phrases that name the event (those holding a year or place the releases' metadata
    knows: "the 2009 OSCE meeting in Astana") are not among them.

    `taken_arguments`: such a year or place that is an argument of the question's verbs, not
    part of a noun phrase, may be what is asked ("Was the Almaty meeting held *in 2014*?", "Is
    *Kazakhstan* chairing the OSCE?")."""

    def is_taken(span) -> bool:  # "Astana", "2008"; not "November 2014"
        words = [t.lower_ for t in span if not t.is_punct]
        return bool(words) and all(w in taken for w in words)

    chunks = list(doc.noun_chunks)
    options = []
    for ent in doc.ents:
        if is_taken(ent) and not (taken_arguments and argument_of_main_clause(ent)):
            continue
        if _partitive(ent):
            continue  # "Does *one* of the sessions deal with ...?" asks of no figure
        if ent.label_ == "DATE" and _dates_event(ent, is_taken):
            continue  # "the conference that opened in Vienna on *8 July 2010*": says which
        chunk = next((c for c in chunks if c.start <= ent.start < c.end), None)
        if chunk is not None and any(is_taken(e) for e in chunk.ents if e != ent):
            continue  # "the 2009 *OSCE* meeting": part of the event's description
        if _describes_event(ent, is_taken):
            continue  # "the *two-day* conference in Vienna in July 2010": the same
        options.append((ent, chunk))
    return options


def _question_focus(options: list):
    """Of the options (_focus_options): the subject's entity ("Did *Japan* fund ...?", "Did
    *more than 150* experts attend ...?"), else the last one ("... financed by *Japan*?", "...
    held in *November 2014*?"); a passive's subject only when nothing else is named."""
    if not options:
        return None
    complement = _copular_complement(options)
    if complement is not None:
        return complement
    subjects, passive = [], []
    for ent, chunk in options:
        head = _phrase_head(chunk.root if chunk is not None else ent.root)
        if _passive_subject(head):
            passive.append((ent, chunk))
        elif head.dep_ == "nsubj" or _subject_read_as_attribute(head):
            subjects.append((ent, chunk))
    if not subjects and passive:
        # A passive's subject names the event ("Was *the Tay bridge* opened by Alex
        # Salmond?"); what is asked is the agent or the other slot filled.
        rest = [o for o in options if o not in passive]
        if rest:
            return rest[-1][0]
        subjects = passive
    if subjects:
        # In "OSCE Senior Police Adviser *Kevin Carty*" the entity holding the phrase's head
        # noun is the subject; the others modify it.
        return next(
            (e for e, c in subjects if c is not None and e.start <= c.root.i < e.end),
            subjects[0][0],
        )
    return options[-1][0]


def _copular_complement(options: list):
    """In "Was <subject> <amount>?" (the copula the question's only verb), the amount that
    closes the question: what the subject is asked to be ("Was the deficit for the 12 months
    to 30 September *$377bn*?", "Was the offer worth *£1.5bn*?"). The small parser seldom
    gives such a complement its own arc (it hangs "$377bn" on a verb of a clause before it),
    so the question's shape decides. (A name or date that closes such a question mostly
    describes the subject: "... the Head of the OSCE Centre in *Astana*?") None for other
    questions."""
    ent = options[-1][0]
    doc = ent.doc
    words = [t for t in doc if not t.is_punct and not t.is_space]
    if len(options) < 2 or not words or ent.label_ not in AMOUNTS:
        return None
    after = [t for t in words if t.i >= ent.end]
    if len(after) > 1 or any(
        t.head.i not in range(ent.start, ent.end) and t.head.i != ent.root.head.i for t in after
    ):
        return None  # something else closes the question (the entity may end before its
        # unit: "£40m" is "£", "40", "m", the "m" hung beside the "40")
    if words[0].lemma_.lower() != "be" or any(
        t.tag_.startswith("VB") and t.dep_ not in _NOMINAL and not _in_relative_clause(t)
        for t in words[1:]
    ):
        # "Was the bridge opened ...?", "Is the firm based in ...?": a verb of its own (not
        # a noun the tagger misread: "the Leeds *match*" tagged as a verb, parsed as a noun)
        return None
    return ent


def _in_relative_clause(token) -> bool:
    """Whether the token is inside a relative clause ("which Bush pledged to halve")."""
    return any(a.dep_ == "relcl" for a in (token, *token.ancestors))


def _dates_event(ent, is_taken) -> bool:
    """Whether the calendar date (with a day or year number) hangs off a noun (through a
    clause or phrase of it, not the question's verbs) whose phrase also names a year or place
    the releases' metadata knows: "the conference that started *in Vienna* on 8 July 2010"
    dates the event, not what is asked of it; "a Permanent Council decision of November
    2006" is asked."""
    if argument_of_main_clause(ent) or not any(ch.isdigit() for ch in ent.text):
        return False  # a main clause's date is asked; "for two days" tells how long
    noun = next(
        (
            a
            for a in ent.root.ancestors
            if a.pos_ in ("NOUN", "PROPN") and not ent.start <= a.i < ent.end
        ),
        None,
    )
    if noun is None:
        return False
    while noun.dep_ in ("pobj", "compound", "appos") and noun.head.pos_ in ("ADP", "NOUN", "PROPN"):
        noun = noun.head if noun.head.pos_ != "ADP" else noun.head.head
    return any(
        is_taken(noun.doc[t.i : t.i + 1]) for t in noun.subtree if not ent.start <= t.i < ent.end
    )


def _partitive(span) -> bool:
    """A lone number with an "of" phrase ("*one* of the countries"): it picks out, not counts."""
    return len(span) == 1 and span[0].like_num and any(c.lower_ == "of" for c in span[0].children)


def _describes_event(ent, is_taken) -> bool:
    """Whether the entity modifies the head noun of the subject, and the subject's phrase
    names a year or place the releases' metadata knows (the phrase names the event; not so
    "*more than 60* experts at the Tashkent workshop", the subject of no verb)."""
    head = ent.root
    while head.dep_ in _MODIFIER_DEPS and head.head.i != head.i:
        head = head.head
    if head.i == ent.root.i or head.dep_ not in ("nsubj", "nsubjpass"):
        return False
    phrase = head.doc[head.left_edge.i : head.right_edge.i + 1]
    return any(is_taken(e) for e in phrase.ents if e.start >= ent.end or e.end <= ent.start)


def _subject_read_as_attribute(token) -> bool:
    """How the small English parser reads the subject of an inverted copular question that
    has no other ("*Were* experts from Interpol among those ...?": "experts" the attribute of
    "were"): the attribute of a root "be" without a subject."""
    verb = token.head
    return (
        token.dep_ == "attr"
        and verb.dep_ == "ROOT"
        and verb.lemma_ == "be"
        and not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in verb.children)
    )


def _passive_subject(token) -> bool:
    """The subject of a passive: "nsubjpass", or how the small English parser reads an inverted
    one ("*Was* the bridge *opened* by ...": the subject of "be", or its attribute read for
    it, with a participle after it)."""
    if token.dep_ == "nsubjpass":
        return True
    return (
        (token.dep_ == "nsubj" or _subject_read_as_attribute(token))
        and token.head.lemma_ == "be"
        and any(
            t.dep_ == "acl" and t.tag_ == "VBN" and not _in_clause_of_its_own(t, token)
            for t in token.subtree
        )
    )


def _in_clause_of_its_own(participle, subject) -> bool:
    """Whether a relative clause in the subject's phrase holds the participle: "Was *Japan*
    one of the countries that financed the conference *held* in Vienna?" asks of Japan with
    "be", passive only inside the clause. A comma closes a clause set off by commas, whatever
    the parse: "Was the summit, which cost under 50,000 euros, *funded* by Norway?". (An
    apposition holds no clause: "Was Viotti, the director of La Fenice, *born* in Italy?")"""
    doc = participle.doc
    if participle.i and doc[participle.i - 1].text == ",":
        return False
    for t in participle.ancestors:
        if t.i == subject.i:
            return False
        if t.dep_ == "relcl":
            return True
    return False


def _misread_passive(verb) -> bool:
    """ "Was the meeting *held* in 2014?" read as "meeting held": the participle, a clause of
    the subject of "be", is the question's main verb."""
    return verb.dep_ == "acl" and verb.tag_ == "VBN" and _passive_subject(verb.head)


def argument_of_main_clause(span) -> bool:
    """Whether the span hangs off the question's verbs alone: no noun (or number) between it
    and the root, so it is no modifier of a noun phrase, nor inside a clause attached to one."""
    tok = span.root
    while tok.head.i != tok.i:
        head = tok.head
        if _misread_passive(tok):
            tok = head.head
            continue
        if not span.start <= head.i < span.end and head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
            return False
        tok = head
    return True


def metadata_words(snap: Snapshot) -> set[str]:
    """Words of the releases' places, countries and years (they name events, not answers)."""
    return {
        w
        for d_ in snap.documents.values()
        for x in (d_.place, d_.country, d_.date[:4])
        for w in x.lower().split()
        if x
    }


def release_filter_question(doc, focus) -> str | None:
    """ "Which meetings did Norway help fund?" asks which releases' events the focus (Norway)
    took part in: the focus's wh-question about them ("Who the meetings did help fund?", word
    order as the reader was trained to tolerate), or None when the question is not of that
    shape (no wh-phrase)."""
    wh_tok = next((t for t in doc if t.tag_ in ("WDT", "WP")), None)
    if wh_tok is None:
        return None
    drop = {wh_tok.i}
    nxt = doc[wh_tok.i + 1] if wh_tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ == "of":  # "which of the meetings"
        drop.add(nxt.i)
    if wh_tok.i > 0 and doc[wh_tok.i - 1].dep_ == "prep":  # "at which of these meetings"
        drop.add(wh_tok.i - 1)
    chunk = next((c for c in doc.noun_chunks if c.start <= focus.start < c.end), focus)
    wh = WH_FOR_LABEL.get(focus.label_, "what")
    if focus.label_ == "GPE":
        wh = "who"  # a country among an event's actors
    words = [
        t.text
        for t in doc
        if t.i not in drop and not (chunk.start <= t.i < chunk.end) and not t.is_punct
    ]
    return f"{wh.capitalize()} {' '.join(words)}?"


def _first_item(token):
    """The first item of the list the token is an item of (the token when it is none). The
    parser attaches later items as conjuncts, the second sometimes as an apposition with the
    rest its conjuncts ("the PRA, [appos the RFU [conj and Premier Rugby]]")."""
    while token.head.i < token.i and (
        token.dep_ == "conj"
        or (token.dep_ == "appos" and any(c.dep_ == "conj" for c in token.children))
    ):
        token = token.head
    return token


def _wh_for_value(focus) -> str | None:
    """The wh-phrase that asks for a span of time rather than a point in it: an age ("27
    years old": "how old"), a counted unit of time ("three months": "how long") or a rate
    ("every 10 seconds": "how often"); None for anything else."""
    if focus.label_ not in ("DATE", "TIME"):
        return None
    root = focus.root
    if root.pos_ == "ADJ" and any(c.dep_ == "npadvmod" for c in root.children):
        return f"how {root.lower_}"
    if root.tag_ == "NNS" and any(c.dep_ == "nummod" for c in root.children):
        # "every 10 seconds" is a rate: "how often"
        return "how often" if any(c.lower_ == "every" for c in root.children) else "how long"
    return None


def wh_question(doc, focus) -> str:
    """ "Did Japan fund the Astana meeting?" -> "Who did fund the Astana meeting?";
    "Did more than 150 experts attend?" -> "How many experts did attend?" """
    wh = (
        "who" if asks_who(focus) else _wh_for_value(focus) or WH_FOR_LABEL.get(focus.label_, "what")
    )
    chunk = next((c for c in doc.noun_chunks if c.start <= focus.start < c.end), focus)
    if focus.root.dep_ == "poss":
        wh = "whose"  # "Did Afghanistan's minister attend?" -> "Whose minister did attend?"
    first = _first_item(focus.root)
    if first.i != focus.root.i or any(c.dep_ == "conj" for c in first.children):
        # One item of a list ("funded by the PRA, the RFU and Premier Rugby"): the wh-word
        # asks for the whole list.
        subtree = list(first.subtree)
        start, end, rest = subtree[0].i, subtree[-1].i + 1, []
    else:
        # The rest of its noun phrase stays: what it modifies ("Whose *minister* ..."), and
        # what describes it ("Who *OSCE Police Affairs Officer* ...": dropping such words
        # lost more answers than it won on the project's yes/no questions).
        # A name may run past its noun chunk ("the UN Office | on Drugs and Crime"): all of it
        # goes.
        start, end = min(chunk.start, focus.start), max(chunk.end, focus.end)
        rest = [
            t.text
            for t in chunk
            if not (focus.start <= t.i < focus.end) and t.pos_ != "DET" and t.tag_ != "POS"
        ]
        if (
            focus.label_ == "NORP"
            and focus.root.dep_ == "amod"
            and chunk.root.i == focus.root.head.i > focus.root.i
        ):
            # A nationality describes the noun it stands before ("the *Norwegian*
            # government"), which stays: the question asks which of that noun ("Which
            # government ...?", not "Who government ...?").
            wh = "which"
    front = " ".join([wh.capitalize(), *rest])
    words = []
    for t in doc:
        if start <= t.i < end or t.is_punct:
            continue
        words.append(t.text if t.i else t.lower_)
    return f"{front} {' '.join(words)}?"
