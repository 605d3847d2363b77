"""A proposed draft from a fetched news page: trafilatura for the text, the page's own markup first.

Each field says where it came from, so an editor knows what to trust. The date is read
in this order and at the precision the page gives: JSON-LD ``datePublished``, the
``article:published_time`` meta tag (or microdata ``datePublished``), the first
``<time datetime>``, the date in the URL, and last htmldate's reading of the page.
"""

import json
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import trafilatura
from htmldate import find_date
from lxml import html as lxml_html

from coverage_archive.dates import DatePrecision
from coverage_archive.models import Language
from coverage_archive.text import clean_reader_text

_LANGUAGES = {choice.value for choice in Language}
_ISO_DATE = re.compile(r"^\s*(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?")
_NEWS_TYPES = {
    "newsarticle",
    "article",
    "reportage",
    "report",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
}
# Field names, in the order a draft shows them; what is not found is listed as missing.
FIELDS = ("title", "byline", "date", "site_name", "language", "summary", "body")


@dataclass
class Proposal:
    url: str
    title: str = ""
    byline: str = ""
    # ISO form at the page's precision: "2025", "2025-03" or "2025-03-05".
    date: str = ""
    date_precision: str = DatePrecision.UNKNOWN
    # Where the date came from: json-ld, meta, time, url, htmldate.
    date_source: str = ""
    site_name: str = ""
    domain: str = ""
    language: str = ""
    summary: str = ""
    body: str = ""
    sources: dict = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [name for name in FIELDS if not getattr(self, name)]

    def as_json(self) -> dict:
        return {**asdict(self), "missing": self.missing}


def _clean(text, *, single_line: bool = True) -> str:
    if not text:
        return ""
    text = str(text)
    if single_line:
        return " ".join(clean_reader_text(text).split())
    lines = [" ".join(clean_reader_text(line).split()) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n\n".join(line for line in lines if line)


def _json_ld_objects(tree):
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.extend(item["@graph"] if isinstance(item["@graph"], list) else [item["@graph"]])
                yield item


def _type_names(item) -> set[str]:
    kinds = item.get("@type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {str(kind).lower() for kind in kinds}


def _names(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        name = item.get("name") if isinstance(item, dict) else item
        name = _clean(name)
        if name and name not in names:
            names.append(name)
    return names


def _meta(tree, *keys) -> str:
    for key in keys:
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            found = tree.xpath(
                f'//meta[translate(@{attribute}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", '
                f'"abcdefghijklmnopqrstuvwxyz")="{key}"]/@content'
            )
            for value in found:
                if value.strip():
                    return value.strip()
    return ""


def partial_date(text: str) -> tuple[str, str]:
    """("2025-03", "month") from "2025-03"; ("2025-03-05", "day") from "2025-03-05T10:00:00-05:00"."""
    match = _ISO_DATE.match(text or "")
    if not match or not 1000 <= int(match["year"]) <= 9999:
        return "", DatePrecision.UNKNOWN
    if match["day"]:
        return f"{match['year']}-{match['month']}-{match['day']}", DatePrecision.DAY
    if match["month"]:
        return f"{match['year']}-{match['month']}", DatePrecision.MONTH
    return match["year"], DatePrecision.YEAR


def _url_date(url: str) -> tuple[str, str]:
    """The date a URL carries: /2025/03/05/ (a day) or /2025/03/ (a month)."""
    day = re.search(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|[^\d]|$)", url)
    if day:
        return "-".join(day.groups()), DatePrecision.DAY
    month = re.search(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])/", url)
    if month:
        return "-".join(month.groups()), DatePrecision.MONTH
    return "", DatePrecision.UNKNOWN


def _language(code: str) -> str:
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in _LANGUAGES else ""


def extract(url: str, page: bytes, charset: str = "") -> Proposal:
    """Read a proposal for a draft out of an HTML page."""
    text = _decode(page, charset)
    proposal = Proposal(url=url)
    try:
        tree = lxml_html.fromstring(text) if text.strip() else None
    except (ValueError, lxml_html.etree.ParserError):
        tree = None
    document = trafilatura.bare_extraction(text, url=url, with_metadata=True, include_comments=False) if text else None
    ld = [item for item in (_json_ld_objects(tree) if tree is not None else []) if _type_names(item) & _NEWS_TYPES]
    article = ld[0] if ld else {}
    sources = proposal.sources

    def choose(name, *candidates):
        for origin, value in candidates:
            value = _clean(value)
            if value:
                setattr(proposal, name, value)
                sources[name] = origin
                return

    meta = (lambda *keys: _meta(tree, *keys)) if tree is not None else (lambda *keys: "")
    choose(
        "title",
        ("json-ld", article.get("headline") or article.get("name")),
        ("meta", meta("og:title", "twitter:title")),
        ("page", getattr(document, "title", "")),
    )
    authors = _names(article.get("author")) if article else []
    choose(
        "byline",
        ("json-ld", ", ".join(authors)),
        ("meta", meta("author", "article:author")),
        ("page", getattr(document, "author", "")),
    )
    publisher = _names(article.get("publisher")) if article else []
    choose(
        "site_name",
        ("meta", meta("og:site_name", "application-name")),
        ("json-ld", publisher[0] if publisher else ""),
        ("page", getattr(document, "sitename", "")),
    )
    choose(
        "summary",
        ("meta", meta("og:description", "description", "twitter:description")),
        ("json-ld", article.get("description")),
        ("page", getattr(document, "description", "")),
    )
    html_lang = tree.get("lang", "") if tree is not None else ""
    for origin, code in (
        ("json-ld", article.get("inLanguage") if isinstance(article.get("inLanguage"), str) else ""),
        ("page", html_lang),
        ("meta", meta("og:locale", "content-language", "language")),
    ):
        if _language(code):
            proposal.language, sources["language"] = _language(code), origin
            break

    _choose_date(proposal, tree, article, text, meta)
    body = _clean(getattr(document, "text", ""), single_line=False)
    first, _sep, rest = body.partition("\n\n")
    if proposal.title and first.strip().casefold() == proposal.title.casefold():
        body = rest
    proposal.body = body
    if body:
        sources["body"] = "trafilatura"
    proposal.domain = _domain(url)
    return proposal


def _choose_date(proposal, tree, article, text, meta):
    candidates = [
        ("json-ld", str(article.get("datePublished") or "")),
        ("meta", meta("article:published_time", "datepublished", "og:published_time", "date", "dc.date")),
    ]
    if tree is not None:
        for value in tree.xpath("//*[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"):
            candidates.append(("microdata", value))
        for value in tree.xpath("//time/@datetime"):
            candidates.append(("time", value))
            break
    for origin, value in candidates:
        date, precision = partial_date(value)
        if date:
            proposal.date, proposal.date_precision, proposal.date_source = date, precision, origin
            return
    date, precision = _url_date(proposal.url)
    if date:
        proposal.date, proposal.date_precision, proposal.date_source = date, precision, "url"
        return
    if text:
        try:
            found = find_date(
                text, url=proposal.url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d"
            )
        except (ValueError, TypeError):
            found = None
        if found:
            proposal.date, proposal.date_precision, proposal.date_source = found, DatePrecision.DAY, "htmldate"


def _domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _decode(page: bytes, charset: str) -> str:
    for encoding in (charset, _declared_charset(page), "utf-8"):
        if not encoding:
            continue
        try:
            return page.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return page.decode("utf-8", errors="replace")


def _declared_charset(page: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", page[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else ""
