"""Questions about the collection itself, answered from document metadata and full-text counts
with SQL over the store: "Which is the most recent release?", "How many releases mention
Afghanistan?", "List the releases from 2008.", "What was released in July 2010?".

A question is about the collection when the noun it asks about (the head of its wh-phrase or
the object of an imperative), or its main verb ("what was *released*"), is close in MiniLM space
to what the collection holds (COLLECTION_NOUNS: the product's own vocabulary, not words of any
question), its wh-word can ask for releases or a count (which, what, how many; not who, when,
where), and that reading accounts for every content word of the question: "Which article of
the Treaty states that Commissioners are independent?" asks about the text, not for the
releases that mention the Treaty. Recency comes from a superlative ("latest", "most recent",
"oldest"), placed by similarity to "newest" against "oldest". What a release must mention is
the phrases the question quotes ("the word 'spyware'"), else its named entities, else its
remaining content nouns. A plural wh-phrase
head that names a metadata field ("in which *cities*"), in a question that names the releases,
asks for that field's values over them; so does one that asks it of a definite plural and
nothing else ("In which cities were *these meetings* held?": over the releases that mention
meetings), where the releases have that field.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from dataclasses import dataclass, field, replace

import numpy as np

from rag.answering import constraints as question_constraints
from rag.answering.question_analysis import question_key
from rag.answering.titled_release import (
    ATTRIBUTE_NOUNS,
    AttributeNouns,
    TitledQuery,
    attribute_value,
    parse_titled,
)
from rag.answering.yes_no_confidence import MODELS_DIR, confidence, route
from rag.cache import LRU
from rag.index.store import Snapshot, Store
from rag.ingestion.chunking import split_sentences
from rag.text_utils import holds_phrase, human_date
from rag.values import Answer, Citation, Document

log = logging.getLogger(__name__)

# What the collection holds and how it came to be, in the product's own words.
COLLECTION_NOUNS = (
    "press release",
    "release",
    "news article",
    "article",
    "document",
    "report",
    "publish",
)
COLLECTION_SIMILARITY = 0.65
# The words by which a question says what a release holds ("releases that *mention* X",
# "articles *about* X"): the collection's own vocabulary, as COLLECTION_NOUNS.
MENTION_WORDS = ("mention", "about", "on", "discuss", "cover")
# A superlative this close to "newest" or "oldest" asks for recency (MiniLM: "latest",
# "oldest", "most recent" 0.77-0.84; "highest", "largest", "most" 0.27-0.39).
RECENCY_SIMILARITY = 0.6
COLLECTION_MODEL = MODELS_DIR / "collection_routes.json"  # `python -m eval.fit_collection`
MAX_ITEMS = 50
# Names of the metadata field a question may restrict a mention to ("how many *titles*
# mention X"): the store's schema, not words of any question.
TITLE_FIELD_NOUNS = ("title", "headline")
# The product's names for the whole of what it holds: "in the collection" restricts nothing.
CORPUS_NOUNS = ("collection", "corpus")
# The metadata fields (rag.answering.titled_release.ATTRIBUTE_NOUNS) every listed release shows.
SHOWN_FIELDS = ("title", "date", "place")


@dataclass
class CollectionQuery:
    op: str  # "newest" | "oldest" | "count" | "list" | "values" | "attribute"
    terms: list[str] = field(default_factory=list)  # phrases a release must mention
    constraints: question_constraints.Constraints | None = None
    # term -> the surname that also counts as a mention of that person (news style names a
    # person in full once, then by surname)
    surnames: dict[str, str] = field(default_factory=dict)
    in_title: bool = False  # the mention must be in the release's title
    titled: TitledQuery | None = None  # op "attribute": a metadata field of a titled release
    attribute: str = ""  # op "values": the metadata field whose values are asked
    # term -> other names of it the question gives in parentheses ("the UN Office on Drugs
    # and Crime (UNODC)"): a release that prints any of them mentions it
    aliases: dict[str, list[str]] = field(default_factory=dict)


class CollectionQuestions:
    def __init__(self, annotator, store: Store) -> None:
        self.annotator = annotator
        # (capitalised word, surname) -> whether the word is part of the name it precedes
        self._name_words = LRU(20_000)
        self.store = store
        self._anchor: np.ndarray | None = None
        self._recency_anchor: np.ndarray | None = None
        self._word_sims = LRU(20_000)
        self._attribute_nouns: AttributeNouns | None = None

    # -- recognising ---------------------------------------------------------------------------
    def _similar(self, words: list[str]) -> np.ndarray:
        emb = self.annotator.embedder
        if self._anchor is None:
            self._anchor = emb.encode(list(COLLECTION_NOUNS))
            self._recency_anchor = emb.encode(
                ["newest latest most recent", "oldest earliest first"]
            )
        if not words:
            return np.zeros(0)
        # Every question asks this of its nouns; a noun's similarity is computed once.
        missing = [w for w in dict.fromkeys(words) if w not in self._word_sims]
        if missing:
            sims = (emb.encode(missing) @ self._anchor.T).max(axis=1)
            for w, sim in zip(missing, sims, strict=True):
                self._word_sims.put(w, float(sim))
        return np.array([self._word_sims[w] for w in words])

    def parse(self, question: str, snap: Snapshot, filters: dict | None) -> CollectionQuery | None:
        if self.annotator.embedder is None:
            return None
        doc = self.annotator.parse(question.strip(), keep=False)
        tokens = [t for t in doc if not t.is_space and not t.is_punct]
        if not tokens:
            return None
        if self._attribute_nouns is None:
            self._attribute_nouns = AttributeNouns(self.annotator.embedder)
        titled = parse_titled(
            doc, question, self._attribute_nouns, lambda t: bool(self.store.sources_titled(t))
        )
        if titled is not None:
            return CollectionQuery("attribute", titled=titled)
        # The question's wh-word, not a relative pronoun ("the releases *that* mention X").
        wh = next(
            (
                t
                for t in tokens
                if t.tag_ in ("WDT", "WP", "WRB")
                and not any(a.dep_ in ("relcl", "acl") for a in (t, *t.ancestors))
            ),
            None,
        )
        _, head, _ = question_key(doc)
        values = self._values_query(doc, tokens, wh, head, question, snap, filters)
        if values is not None:
            return values
        root = next((t for t in tokens if t.dep_ == "ROOT"), tokens[0])
        nouns = [t for t in tokens if t.pos_ == "NOUN"]
        superlative = [t for t in tokens if t.tag_ in ("JJS", "RBS")]
        # The word the question asks about: the head of its wh-phrase ("which *releases*",
        # "how many *articles*"; a tagger may read "releases" there as a verb, so the word
        # right after the wh-word counts too), an imperative's object ("List the *releases*"),
        # the main verb ("what was *released*"), or, with a superlative, its nouns ("the most
        # recent of the *releases*"). Not any noun: "the *reports* denying ..." is content.
        after_wh = [t for t in tokens if wh is not None and t.i == wh.i + 1]
        if wh is not None:  # a partitive: "how many *of the releases*", "which of the articles"
            after_wh += [
                t
                for t in tokens
                if t.dep_ == "pobj" and t.head.lower_ == "of" and t.head.head.i in (wh.i, wh.head.i)
            ]
        if head is not None:  # a compound: "how many *release* titles"
            after_wh += [t for t in head.children if t.dep_ == "compound"]
        # "What was released ...?", and in the active "What did the OSCE release ...?"
        asks_verb = (
            wh is not None
            and wh.head.i == root.i
            and wh.dep_ in ("nsubj", "nsubjpass", "dobj")
            and head is None
        )
        focus = [t for t in (head, *after_wh, root if asks_verb else None) if t is not None]
        if superlative:
            focus += nouns[:2]
        focus = [t for t in dict.fromkeys(focus) if t.pos_ in ("NOUN", "VERB", "PROPN")]
        recency = bool(superlative) and self._recency(superlative[0])[1] >= RECENCY_SIMILARITY
        if wh is not None and wh.lower_ not in ("which", "what", "how") and not recency:
            # who/when/where/why ask for a person, a time, a place, a reason ("Who called
            # it the *bravest* move?"); not "When was the *latest* release issued?"
            return None
        if not nouns and superlative and wh is not None:
            # "Which is the oldest?": nothing but the collection to be oldest in.
            constraints = question_constraints.extract(question, snap.documents, filters)
            return CollectionQuery(self._recency_op(superlative[0]), [], constraints)
        if not focus:
            return None
        sims = self._similar([t.lemma_.lower() for t in focus])
        if float(sims.max()) < COLLECTION_SIMILARITY:
            return None
        about = focus[int(sims.argmax())]
        imperative = wh is None and tokens[0].tag_ == "VB"
        if wh is None and not imperative:
            return None  # a yes/no question about releases is not a listing
        constraints = _undescribed(
            doc, question_constraints.extract(question, snap.documents, filters)
        )
        terms, surnames, aliases = self._terms(doc, about, constraints)
        terms, fields = _field_terms(about, terms, _field_values(snap))
        if fields:
            constraints = replace(constraints, fields=fields)
        # "How many *titles* mention X", "Which releases have X *in the title*".
        in_title = any(
            t.lemma_.lower() in TITLE_FIELD_NOUNS
            and (
                t in focus
                # the preposition may attach to the verb or to its object ("have X in the title")
                or (t.dep_ == "pobj" and root.i in (t.head.head.i, t.head.head.head.i))
            )
            for t in tokens
            if t.pos_ == "NOUN"
        )
        if superlative and not terms:
            return CollectionQuery(self._recency_op(superlative[0]), [], constraints)
        if [t for t in _unexplained(doc, about, root, terms) if not self._shown(t)]:
            # "Which article of the Treaty states that Commissioners ...", "Which article
            # allows the Council to govern mergers": words a list of releases mentioning the
            # entities would ignore; a question about what the text says, not the collection.
            return None
        if superlative and terms and self._recency(superlative[0])[1] >= RECENCY_SIMILARITY:
            # "Which is the oldest of the releases mentioning Norway?": the mentions filter,
            # the superlative picks (not "the most mentions", a superlative of another kind).
            op = self._recency_op(superlative[0])
            return CollectionQuery(op, terms, constraints, surnames, in_title, aliases=aliases)
        if wh is not None and wh.lower_ == "how":
            # "How many releases mention X": the counted noun must be the releases themselves
            # ("how many participating States ..." asks the releases, not about them).
            counted = next(
                (t for t in tokens if t.i > wh.i + 1 and t.pos_ in ("NOUN", "VERB")), None
            )
            # "how many *press* releases": the head of the compound is counted too
            chain = [counted] if counted is not None else []
            while chain and chain[-1].dep_ == "compound" and chain[-1].head.i != chain[-1].i:
                chain.append(chain[-1].head)
            if about.i not in {t.i for t in chain}:
                return None
            return CollectionQuery("count", terms, constraints, surnames, in_title, aliases=aliases)
        if terms or not constraints.empty():
            return CollectionQuery("list", terms, constraints, surnames, in_title, aliases=aliases)
        if about.pos_ != "VERB" and (
            imperative or any(t.lemma_.lower() in ("all", "every") for t in about.children)
        ):
            # "List all releases.", "Show me the releases": the whole collection.
            return CollectionQuery("list", [], constraints, surnames, in_title)
        return None

    def _values_query(
        self, doc, tokens, wh, head, question: str, snap: Snapshot, filters: dict | None
    ) -> CollectionQuery | None:
        """ "In which cities were the meetings described in these releases held?": a plural
        wh-phrase head that names a metadata field (by similarity, titled_release's
        ATTRIBUTE_NOUNS) in a question that names the releases themselves (a plural noun
        close to COLLECTION_NOUNS): the field's values over the releases, each cited."""
        if wh is None or wh.lower_ not in ("which", "what"):
            return None
        if head is None or head.tag_ not in ("NN", "NNS", "NNPS"):
            return None
        # "What is the *title* of the *release* datelined Astana?" asks one release's field.
        plural = head.tag_ != "NN"
        collection = [t for t in tokens if t.tag_ == ("NNS" if plural else "NN") and t.i != head.i]
        if not collection or (not plural and quoted_spans(question)):
            return None  # (a quoted title no release has, parse_titled took those, is the text's)
        # (the parse may hang the verb from the noun: "countries *paid* for ...", an acl)
        verbs = [head.head] if head.dep_ in ("nsubj", "nsubjpass", "dobj") else []
        verbs += [c for c in head.children if c.dep_ in ("acl", "relcl") and c.pos_ == "VERB"]
        if any(
            verb.lemma_ != "be"
            and not (plural and any(c.dep_ == "dobj" and c in collection for c in verb.children))
            for verb in verbs
        ):
            # The field's noun as a participant of what the text reports ("Which *countries*
            # paid for the meetings described in the releases?", "Which *country* held the
            # Chairmanship, according to the release?"), not as where the reported events
            # took place ("Which cities hosted the meetings?"): a question for the reader.
            return None
        assert self._attribute_nouns is not None
        attribute = self._attribute_nouns.field_of(head.lemma_.lower())
        if attribute is None:
            return None
        constraints = question_constraints.extract(question, snap.documents, filters)
        sims = self._similar([t.lemma_.lower() for t in collection])
        if float(sims.max()) >= COLLECTION_SIMILARITY:
            terms, surnames, aliases = self._terms(doc, collection[int(sims.argmax())], constraints)
            return CollectionQuery(
                "values", terms, constraints, surnames, attribute=attribute, aliases=aliases
            )
        if not plural:
            return None
        events = _reported_events(doc, collection, head, constraints)
        if events is None or not any(
            attribute_value(d, attribute) for d in snap.documents.values()
        ):
            return None
        # "In which cities were these meetings held?": the releases that mention meetings.
        return CollectionQuery("values", [events.text], constraints, attribute=attribute)

    def _shown(self, token) -> bool:
        """Whether a noun names the collection itself ("releases *in the collection*") or a
        field each listed release shows (its title, date, place): "Which is the most recent
        release, and what is its *date*?" asks nothing the listing leaves out."""
        if token.pos_ != "NOUN":
            return False
        lemma = token.lemma_.lower()
        return lemma in CORPUS_NOUNS or self._attribute_nouns.field_of(lemma) in SHOWN_FIELDS

    def _recency_op(self, superlative) -> str:
        """ "newest" or "oldest", by the superlative phrase's similarity to each."""
        return self._recency(superlative)[0]

    def _recency(self, superlative) -> tuple[str, float]:
        """("newest" or "oldest", the superlative phrase's similarity to that one)."""
        self._similar([])
        words = [superlative.text]
        if superlative.tag_ == "RBS":  # "most recent": the adjective it grades
            words.append(superlative.head.text)
        vec = self.annotator.embedder.encode([" ".join(words)])[0]
        newest, oldest = (self._recency_anchor @ vec).tolist()
        return ("newest", newest) if newest >= oldest else ("oldest", oldest)

    @staticmethod
    def _terms(doc, about, constraints: question_constraints.Constraints):
        """(what the releases must mention, the surname that stands for each person named in
        full, the other names of a term): the phrases the question quotes ("the word
        'spyware'": the asker's own words, exactly), else the entities the metadata constraints
        did not take."""
        quoted = [doc.text[a:b] for a, b in quoted_spans(doc.text)]
        if quoted:
            return quoted, {}, {}
        taken = {p.lower() for p in constraints.places} | {str(y) for y in constraints.years}
        ents = [
            e
            for e in doc.ents
            if e.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL")
            and e.text.lower().removeprefix("the ") not in taken
        ]
        # An appositive describes the entity it follows ("Veritas, Robert Kilroy-Silk's
        # party"): the entities inside it are no further conditions.
        described = _appositive_tokens(doc)
        ents = [e for e in ents if not all(t.i in described for t in e)] or ents
        # So does a title before a name ("*Labour MP* Stephen Pound", "*Kazakhstan's
        # Interior* Minister Serik ...", "the *Ukrainian steel mill* Krivorizhstal"): the name
        # is what a release prints every time.
        titles = set()
        for e in ents:
            titles |= {t.i for child in e.root.lefts if child.i < e.start for t in child.subtree}
            title = e.root.head  # "the reggae *singer* Sizzla": a noun the name is attached to
            if title.i == e.start - 1 and title.pos_ in ("NOUN", "PROPN"):
                titles |= {t.i for t in title.subtree if t.i < e.start}
        ents = [e for e in ents if not all(t.i in titles for t in e)] or ents
        # And an entity in the phrase that names the releases ("How many *BBC* articles
        # mention X", "which of the OSCE releases ..."), when something else is to be
        # mentioned: it says which releases, not what they mention.
        # (with a phrase after it that says where the releases are: "articles *in the BBC
        # technology category*"; not "articles *about* X", which says what they mention)
        phrase = _phrase_root(about)
        collection = {t.i for child in phrase.lefts for t in child.subtree} | {
            t.i
            for child in phrase.rights
            if child.dep_ == "prep" and child.lemma_.lower() not in MENTION_WORDS
            for t in child.subtree
        }
        objects = [  # what the question says is mentioned, entity or not
            _with_compounds(_name_of(t), taken)
            for t in doc
            if t.pos_ in ("NOUN", "PROPN")
            and t.i != about.i
            and t.i not in collection
            and _mentioned(t)
            and t.head.lemma_ in MENTION_WORDS
        ]
        object_heads = {  # what is mentioned ("is the Mac mini mentioned": a passive)
            t.i
            for t in doc
            if t.dep_ in ("dobj", "pobj", "nsubj", "nsubjpass")
            and t.head.lemma_ in MENTION_WORDS
            and t.i != about.i
        }
        outside = [e for e in ents if not all(t.i in collection for t in e)]
        # Whose the mentioned thing is describes it ("Apple's Mac mini"): the phrase after the
        # possessor is what a release prints.
        outside = [
            e for e in outside if not (e.root.dep_ == "poss" and e.root.head.i in object_heads)
        ]
        # ("How many of the *OSCE* releases mention the Strategic Police Matters Unit": no
        # entity but the releases' own, the object the parse gives is what is mentioned)
        ents = outside or ([] if objects else ents)
        # A name in parentheses after another is another name of it ("the UN Office on Drugs
        # and Crime (UNODC)"): no further condition; a release may print either.
        named_as: dict[int, list[str]] = {}
        for e in ents:
            named = next((n for n in ents if n.start <= e.root.head.i < n.end), None)
            if e.start and doc[e.start - 1].text == "(" and e.root.dep_ == "appos" and named:
                named_as.setdefault(named.start, []).append(e.text)
        aliased = {a for names in named_as.values() for a in names}
        terms, surnames, aliases = [], {}, {}
        for e in (e for e in ents if e.text not in aliased):
            span = e[:-1] if len(e) > 1 and e[-1].tag_ == "POS" else e  # "Kilroy-Silk's"
            # "the Davis Cup" is printed "Spain's Davis Cup win" too ("The Hague" keeps its own)
            span = span[1:] if len(span) > 1 and span[0].text == "the" else span
            head = e.root.head
            if e.root.dep_ == "compound" and head.i == e.end and head.i in object_heads:
                # The name modifies the noun the question says is mentioned ("the *Mac*
                # mini"): the mention is of the whole phrase.
                span = doc[span.start : head.i + 1]
            terms.append(span.text)
            if e.start in named_as:
                aliases[span.text] = named_as[e.start]
            words = span.text.split()
            if e.label_ == "PERSON" and len(words) > 1:
                surnames[span.text] = words[-1]
        if terms:
            return terms, surnames, aliases
        return objects, {}, {}

    # -- answering -----------------------------------------------------------------------------
    def answer(self, query: CollectionQuery, snap: Snapshot, question: str) -> Answer:
        t0 = time.perf_counter()
        if query.titled is not None:
            return self._attribute(query.titled, snap, question, t0)
        c = query.constraints or question_constraints.Constraints()
        # A place some release is from (dateline, country) filters by metadata; any other place
        # the question names is something the releases must mention.
        known = {x.lower() for d in snap.documents.values() for x in (d.place, d.country) if x}
        # A dateline that names its city alone ("ASTANA, 1 July 2009") is from the gazetteer's
        # country of that city.
        cities_of: dict[str, set[str]] = {}
        for d in (d for d in snap.documents.values() if d.place and not d.country):
            if country := question_constraints.city_country(d.place):
                cities_of.setdefault(country, set()).add(d.place.lower())
        known |= set(cities_of)
        places = sorted(p for p in c.places if p.lower() in known)
        places += sorted({city for p in places for city in cities_of.get(p.lower(), ())})
        unknown = [p for p in sorted(c.places) if p.lower() not in known]
        mentions = list({t.lower(): t for t in [*unknown, *query.terms]}.values())
        query.terms = mentions
        # What must appear: a person's surname, else the term itself, or one of its other names.
        found = {}
        for names in itertools.product(*([t, *query.aliases.get(t, [])] for t in mentions)):
            needles = [query.surnames.get(t, t) for t in names]
            for row in self.store.documents_where(
                years=sorted(c.years),
                months=sorted(c.months),
                places=places,
                sources=sorted(c.sources) if c.sources else None,
                mentions=[] if query.in_title else needles,
                title_mentions=needles if query.in_title else [],
                fields=sorted(c.fields),
            ):
                found[row[0]] = row
        rows = sorted(found.values(), key=lambda r: (r[1] or "", r[0]))
        needles = [query.surnames.get(t, t) for t in mentions]
        needles += [a for t in mentions for a in query.aliases.get(t, [])]
        # The store matches stemmed words ("Abbas" for "Abba"): a name, which news text does
        # not inflect, is checked as whole words, as is anything asked of a title.
        checks = [
            (t, query.surnames.get(t))
            for t in mentions
            if query.in_title or t in query.surnames or t != t.lower()
        ]
        texts = [snap.documents[r[0]].text for r in rows if r[0] in snap.documents]
        for t, surname in checks:
            if surname and not self._surname_is_distinctive(texts, t, surname):
                query.surnames.pop(t)
        checks = [(t, query.surnames.get(t)) for t, _ in checks]
        if checks:
            rows = [
                r
                for r in rows
                if r[0] in snap.documents
                and all(
                    self._mentions(_field(snap.documents[r[0]], query.in_title), t, surname)
                    or any(
                        self._mentions(_field(snap.documents[r[0]], query.in_title), a, None)
                        for a in query.aliases.get(t, [])
                    )
                    for t, surname in checks
                )
            ]
        if query.op == "values":
            return self._values(query.attribute, [r[0] for r in rows], snap, question, t0)
        if query.op in ("newest", "oldest"):
            dated = [r for r in rows if r[1]]
            dated.sort(key=lambda r: r[1], reverse=query.op == "newest")
            rows = dated[:1]
        docs = [snap.documents[s] for s, _ in rows if s in snap.documents][:MAX_ITEMS]
        items, citations = [], []
        for doc in docs:
            cite = _citation(snap, doc, len(citations) + 1, needles)
            if cite is None:
                continue
            citations.append(cite)
            when = ", ".join(x for x in (human_date(doc.date), doc.place) if x)
            items.append(
                {"text": f"{doc.title} ({when})" if when else doc.title, "citations": [cite.n]}
            )
        shown = ", ".join(
            t + (f" ({', '.join(query.aliases[t])})" if t in query.aliases else "")
            for t in query.terms
        )
        what = f" mentioning {shown}" if query.terms else ""
        if query.terms and query.in_title:
            what = f" with {shown} in the title"
        if c.fields:
            what = f" filed under {', '.join(sorted(c.fields))}{what}"
        if query.op == "count":
            head = f"{len(rows)} release{'s' if len(rows) != 1 else ''}{what}."
        elif query.op in ("newest", "oldest"):
            head = (
                f"The {'most recent' if query.op == 'newest' else 'oldest'} release: "
                f"{items[0]['text']}."
                if items
                else ""
            )
        else:
            head = f"{len(rows)} release{'s' if len(rows) != 1 else ''}{what}:"
        return _answer(question, t0, items, citations, head, query.op)

    def _names_before(self, text: str, surname: str):
        """For each time `surname` (with its capital) occurs: the capitalised word right before
        it when that word is part of the person's name ("Gordon" in "Gordon Brown"), else None
        ("Mr Glazer", "President Chavez", "over Glazer"). The entity recogniser decides, on
        the sentence around, whether the word before belongs to the name."""
        for m in re.finditer(rf"\b{re.escape(surname)}\b", text):
            before = _NAME_BEFORE.search(text, max(0, m.start() - 40), m.start())
            if before is None:
                yield None
                continue
            word = before.group(1)
            is_name = self._name_words.get((word, surname))
            if is_name is None:
                doc, first = self._sentence_around(text, before.start(), m.end())
                is_name = any(
                    first + e.end_char == m.end() and e.text.split()[0] == word for e in doc.ents
                )
                self._name_words.put((word, surname), is_name)
            yield word if is_name else None

    def _sentence_around(self, text: str, start: int, end: int):
        """(the parse of the sentence around text[start:end], at most 120 characters before it
        and 60 after; where that parse starts in `text`)."""
        cut = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start))
        first = max(cut + 1, start - 120)
        stop = min(x for x in (text.find("\n", end), text.find(". ", end), end + 60) if x >= 0)
        return self.annotator.parse(text[first:stop]), first

    def _surname_is_distinctive(self, texts: list[str], full: str, surname: str) -> bool:
        """Whether the bare surname may stand for the person: in the releases that hold it, no
        other given name ever precedes it ("Wes Brown", "Dan Brown": many Browns)."""
        given = set(full.split()[:-1])
        return all(w is None or w in given for t in texts for w in self._names_before(t, surname))

    def _mentions(self, text: str, term: str, surname: str | None) -> bool:
        """`term` in `text` as whole words (any case), or a person's distinctive surname alone
        where the parse reads it as a name that stands for someone: a noun with no determiner,
        not modifying a common noun ("Mr Glazer", "Glazer's bid"; not "Younger
        viewers", "Pitt the Younger", "the Glazer family")."""
        if holds_phrase(text, term):
            return True
        if not surname:
            return False
        for m in re.finditer(rf"\b{re.escape(surname)}\b", text):
            doc, first = self._sentence_around(text, m.start(), m.end())
            token = next((t for t in doc if first + t.idx + len(t) == m.end()), None)
            if (
                token is not None
                and token.pos_ in ("PROPN", "NOUN")  # a headline's name may parse as a noun
                and not any(c.dep_ == "det" for c in token.children)
                and not (token.dep_ == "compound" and token.head.pos_ == "NOUN")
            ):
                return True
        return False

    def _values(
        self, attribute: str, sources: list[str], snap: Snapshot, question: str, t0: float
    ) -> Answer:
        """The distinct values of a metadata field over the releases (oldest first), each
        citing the releases that have it: at most MAX_ITEMS citations in all, shared out among
        the values, and the count of releases when a value has more than it cites."""
        by_value: dict[str, list[Document]] = {}
        for source in sources:
            doc = snap.documents.get(source)
            value = attribute_value(doc, attribute) if doc else ""
            if value and (value in by_value or len(by_value) < MAX_ITEMS):
                by_value.setdefault(value, []).append(doc)
        per_value = max(1, MAX_ITEMS // max(1, len(by_value)))
        items, citations = [], []
        for value, docs in by_value.items():
            cited = []
            for doc in docs[:per_value]:
                cite = _citation(snap, doc, len(citations) + 1, [])
                if cite is not None:
                    citations.append(cite)
                    cited.append(cite.n)
            if cited:
                more = f" ({len(docs)} releases)" if len(docs) > len(cited) else ""
                items.append({"text": value + more, "citations": cited})
        head = "; ".join(i["text"] for i in items) + "." if items else ""
        return _answer(question, t0, items, citations, head, "values")

    def _attribute(self, titled: TitledQuery, snap: Snapshot, question: str, t0: float) -> Answer:
        """The asked metadata field of each release with the quoted title, each cited."""
        items, citations = [], []
        for source in self.store.sources_titled(titled.title):
            doc = snap.documents.get(source)
            value = attribute_value(doc, titled.attribute) if doc else ""
            cite = _citation(snap, doc, len(citations) + 1, []) if value else None
            if cite is None:
                continue
            citations.append(cite)
            items.append({"text": value, "citations": [cite.n]})
        head = "; ".join(i["text"] for i in items) + "." if items else ""
        return _answer(question, t0, items, citations, head, "attribute")


CONTENT_POS = ("NOUN", "PROPN", "VERB", "ADJ")


def _reported_events(doc, plurals: list, head, constraints):
    """The plural noun that stands for what the releases report when a question asks a
    metadata field of it and nothing else: "In which cities were *these meetings* held?",
    "Which cities hosted the meetings?", "... the *2008* meetings" (a definite or
    demonstrative plural, the question naming no entity but the years and months its
    metadata constraints take, and no other content word). None otherwise: "In which cities
    were Kenteris and Thanou accused of missing *tests*?" asks about the text."""
    taken = {str(y) for y in constraints.years}
    for ent in doc.ents:
        dated = constraints.years or constraints.months
        if ent.label_ != "DATE" or not dated or not {t.text for t in ent if t.like_num} <= taken:
            return None
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    for noun in plurals:
        if not any(
            c.dep_ == "det" and c.lower_ in ("the", "these", "those") for c in noun.children
        ):
            continue
        left = [t for t in _unexplained(doc, noun, root or noun, []) if t.i != head.i]
        if not left:
            return noun
    return None


# A phrase in quotation marks: straight or typographic, single or double; a single quote must
# not be an apostrophe ("Kilroy-Silk's", "the Lions' tour").
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<!\w)'([^']+)'(?!\w)")


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the phrases `text` puts in quotation marks (without the marks)."""
    spans = []
    for m in _QUOTED.finditer(text):
        group = next(g for g in range(1, 5) if m.group(g) is not None)
        if m.group(group).strip():
            spans.append((m.start(group), m.end(group)))
    return spans


def _appositive_tokens(doc) -> set[int]:
    """Indices of the tokens of appositives that describe an entity ("Media Labs Europe, *the
    research lab in Dublin*")."""
    ent_tokens = {t.i for e in doc.ents for t in e}
    return {
        t.i
        for a in doc
        if a.dep_ == "appos" and a.head.i in ent_tokens and a.i not in ent_tokens
        for t in a.subtree
    }


def _undescribed(doc, constraints: question_constraints.Constraints):
    """The constraints less the places named only inside an appositive description: "the
    research lab in *Dublin*" says what the lab is, not where the releases are from or what
    else they mention."""
    described = _appositive_tokens(doc)
    if not described or not constraints.places:
        return constraints
    free = {t.lower_ for t in doc if t.i not in described}
    kept = {p for p in constraints.places if set(p.lower().split()) & free}
    return replace(constraints, places=kept) if kept != constraints.places else constraints


def _mentioned(token) -> bool:
    """Whether a noun is what its verb of mentioning says is mentioned: its object, or a
    proper noun in any other relation but the subject's ("Which articles mention *Stansted*?",
    which the parser may read as an adverbial modifier of "mention")."""
    if token.dep_ in ("dobj", "pobj"):
        return True
    subject = token.dep_ in ("nsubj", "nsubjpass", "compound", "poss")
    return token.pos_ == "PROPN" and not subject and token.head.pos_ == "VERB"


def _unexplained(doc, about, root, terms: list[str]) -> list:
    """Content words of the question that the collection reading (the releases, what they must
    mention, when and where from, in which field) leaves unaccounted for."""
    covered = {root.i, about.i}  # what is asked about (a tagger may read "releases" as a verb)
    for start, end in quoted_spans(doc.text):
        # A quoted phrase and the words it hangs from ("use the *word* 'precursors'") say
        # what to look for, as a term does.
        for t in doc.char_span(start, end, alignment_mode="expand") or ():
            covered |= {t.i} | {a.i for a in t.ancestors}
    if about.pos_ != "VERB":  # the asked noun's phrase: "articles in the collection"
        covered |= {t.i for t in about.subtree}
    for ent in doc.ents:  # an entity, with what describes it ("the pole vaulter Y. I.")
        covered |= {t.i for t in ent.root.subtree}
        # (the whole phrase it modifies: "the Argonaut *games group*")
        head = _phrase_root(ent.root.head)
        if ent.root.dep_ in ("appos", "compound") and head.pos_ in ("NOUN", "PROPN"):
            covered |= {t.i for t in head.subtree} - {root.i}
    said = {w.lower() for term in terms for w in term.split()}
    for t in doc:
        # the verb of mentioning, where the parse does not make it the root ("In how many of
        # the releases is X *mentioned*?", "releases that quote or *mention* X")
        if t.lemma_.lower() in MENTION_WORDS and t.pos_ == "VERB":
            covered.add(t.i)
    for t in doc:
        if t.tag_ in ("JJS", "RBS"):
            covered |= {t.i, t.head.i}
        if t.lower_ in said or t.lemma_.lower() in TITLE_FIELD_NOUNS:
            covered.add(t.i)
            if t.i != root.i:  # the term's own phrase ("drug *trafficking*")
                covered |= {d.i for d in t.subtree}
            if t.lower_ in said and t.dep_ == "appos" and _name_of(t.head).i == t.i:
                covered.add(t.head.i)  # the kind of thing the term names ("the *charity* X")
    return [
        t
        for t in doc
        if t.pos_ in CONTENT_POS and not t.is_stop and t.i not in covered and t.dep_ != "aux"
    ]


def _answer(
    question: str, t0: float, items: list[dict], citations: list, head: str, op: str
) -> Answer:
    if not items:
        return Answer(
            answer="The releases don't say. (no release matches.)",
            abstained=True,
            confidence=0.0,
            kind="collection",
            items=[],
            question=question,
            resolved_question=question,
        )
    return Answer(
        answer=head,
        abstained=False,
        # The items are read off the metadata, but what the question asks is inferred from its
        # parse: the confidence is how often answers of this operation were right on questions
        # written by others (`python -m eval.fit_collection`), not a certainty.
        confidence=confidence(route("collection", op), 1.0, COLLECTION_MODEL),
        decided_by=route("collection", op),
        citations=citations,
        kind="collection",
        items=items,
        timings_ms={"answer": (ms := (time.perf_counter() - t0) * 1000), "total": ms},
        question=question,
        resolved_question=question,
    )


def _phrase_root(token):
    """The head of the noun phrase the token is a compound in ("BBC sport *article* titles":
    "titles")."""
    while token.dep_ == "compound" and token.head.i != token.i:
        token = token.head
    return token


def _field_values(snap: Snapshot) -> dict[str, str]:
    """The categories the releases are filed under, by their lower-case form."""
    return {f.lower(): f for d in snap.documents.values() for f in d.fields}


# Words that say a term is a category: the store's field, as questions name it.
_FIELD_WORDS = {w for noun in ATTRIBUTE_NOUNS["fields"] for w in noun.split()} | {"the"}


def _field_terms(about, terms: list[str], known: dict[str, str]) -> tuple[list[str], set[str]]:
    """(the terms less the categories they name, the categories the question restricts the
    releases to): a category in the phrase naming the releases ("How many BBC *sport*
    articles ..."), or a term that is one with at most a word for a category ("filed under
    the *Rule of law* field of work")."""
    root = _phrase_root(about)
    phrase = " ".join(t.text for t in root.subtree if t.i <= root.i)
    fields = {value for key, value in known.items() if holds_phrase(phrase, key)}
    kept = []
    for term in terms:
        value = next((v for k, v in known.items() if holds_phrase(term, k)), None)
        rest = set(term.lower().replace(value.lower(), " ").split()) if value else {"?"}
        if rest <= _FIELD_WORDS:
            fields.add(value)
        else:
            kept.append(term)
    return kept, fields


def _field(doc: Document, title: bool) -> str:
    return doc.title if title else doc.text


_NAME_BEFORE = re.compile(r"([A-Z][\w'-]*)\s+$")  # not "Saturday. ": a sentence's end


def _citation(snap: Snapshot, doc: Document, n: int, terms: list[str]) -> Citation | None:
    """The sentence that mentions the first term, else the release's first sentence."""
    sents = split_sentences(doc.text)
    if not sents:
        return None
    chosen = sents[0]
    lowered = [t.lower() for t in terms]
    for s in sents:
        if lowered and any(t in doc.text[s.start : s.end].lower() for t in lowered):
            chosen = s
            break
    quote = doc.text[chosen.start : chosen.end]
    chunk_id = next(
        (
            snap.chunks[i].chunk_id
            for i in snap.ids_by_source.get(doc.source, [])
            if i in snap.chunks and snap.chunks[i].start <= chosen.start < snap.chunks[i].end
        ),
        "",
    )
    return Citation(
        n=n,
        source=doc.source,
        title=doc.title,
        date=doc.date,
        place=doc.place,
        chunk_id=chunk_id,
        start=chosen.start,
        end=chosen.end,
        quote=quote,
        score=1.0,
    )


def _name_of(noun):
    """The proper noun in apposition that names a common noun ("the charity *Age Concern*",
    where the tagger found no entity), else the noun: the name is what a release prints, the
    noun before it only says what kind of thing it is."""
    if noun.pos_ == "NOUN":
        for child in noun.rights:
            if child.dep_ == "appos" and child.pos_ == "PROPN":
                return child
    return noun


def _with_compounds(token, taken: set[str] = frozenset()) -> str:
    """The noun with the compound words before it: the name a release would print ("the
    Sarbanes-Oxley Act" is mentioned as "Sarbanes-Oxley Act", not as any "Act"); not a place
    or year the metadata constraints took ("the *Tashkent* workshop": a release from Tashkent
    that mentions a workshop)."""
    doc, first = token.doc, token.i
    while first > 0 and doc[first - 1].dep_ in ("compound", "punct"):
        before = doc[first - 1]
        if not token.i >= before.head.i >= first or (before.is_punct and before.text != "-"):
            break
        if before.lower_ in taken:
            break
        first -= 1
    while doc[first].is_punct:
        first += 1
    return doc[first : token.i + 1].text
