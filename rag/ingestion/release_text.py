"""What every format parser shares: a release's date, dateline and heading, and the error for
a file that cannot become a document. rag.ingestion.ingest and the format modules
(rag.ingestion.formats_pdf,
rag.ingestion.formats_docx, rag.ingestion.web_extract) import it; it imports none of them.
"""

from __future__ import annotations

import re
from datetime import date as Date

from rag.text_utils import MONTH_NAMES

_MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH_RE = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"  # noqa: E501
# "VIENNA, 17 July 2008 -" / "ALMATY, Kazakhstan, 3 December 2014 -" / "GENEVA, May 3, 2011 —"
DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'’-]{1,40}?)"
    r"(?:,\s*(?P<country>[A-Z][A-Za-z .'’-]{1,40}?))?"
    rf",\s*(?P<date>\d{{1,2}}\s+{_MONTH_RE}\.?,?\s+\d{{4}}|{_MONTH_RE}\.?\s+\d{{1,2}},?\s+\d{{4}})"
    r"\s*[-–—]+\s*"
)


class IngestError(ValueError):
    """A file (or posted text) that cannot become a document; the message says why."""


def parse_date(text: str) -> str:
    """Normalise '17 July 2008', 'July 17, 2008' or '2008-07-17' to ISO; '' if not a date."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m1 = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", text)
        m2 = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", text)
        if m1:
            d, mo_name, y = int(m1.group(1)), m1.group(2).lower(), int(m1.group(3))
        elif m2:
            mo_name, d, y = m2.group(1).lower(), int(m2.group(2)), int(m2.group(3))
        else:
            return ""
        if mo_name not in _MONTHS:
            return ""
        mo = _MONTHS[mo_name]
    try:
        return Date(y, mo, d).isoformat()
    except ValueError:
        return ""


def title_case_place(name: str) -> str:
    name = " ".join(name.split())
    return name.title() if name.isupper() else name


def parse_dateline(first_paragraph: str) -> tuple[str, str, str]:
    """(place, country, iso_date) from a dateline such as 'VIENNA, 17 July 2008 - ...'."""
    m = DATELINE_RE.match(first_paragraph)
    if not m:
        return "", "", ""
    country = m.group("country") or ""
    return title_case_place(m.group("place")), country.strip(), parse_date(m.group("date"))


def find_dateline(paragraphs: list[str], within: int = 6) -> tuple[int, str, str, str]:
    """(index, place, country, iso_date) of the first dateline among the first paragraphs.

    The index is -1 when none of them opens with a dateline.
    """
    for i, para in enumerate(paragraphs[:within]):
        place, country, iso = parse_dateline(para)
        if place:
            return i, place, country, iso
    return -1, "", "", ""


_KICKERS = {"press release", "news release", "media release", "for immediate release", "news"}


def strip_heading(paragraphs: list[str], title: str) -> list[str]:
    """The body without what precedes it: a kicker ("Press release"), the title repeated, and
    (when the body opens with a dateline) the short lines above it (metadata, captions)."""
    out = list(paragraphs)
    key = " ".join(title.split()).lower()
    while out and (out[0].lower().rstrip(":") in _KICKERS or (key and out[0].lower() == key)):
        out.pop(0)
    idx = find_dateline(out)[0]
    if idx > 0 and all(len(p) <= 150 for p in out[:idx]):
        out = out[idx:]
    return out
