"""What machines read about an article: schema.org JSON-LD, Open Graph, and citations.

Everything here is built from the article's own fields; nothing the archive does
not know (a missing date, byline or link) is guessed.
"""

import json
import re

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coverage_archive.dates import DatePrecision
from coverage_archive.identity.current import current_identity

# As Django's json_script: inside <script>, these must never appear literally.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
# Open Graph wants a territory; these fit the archive's readers in the Americas.
OPEN_GRAPH_LOCALES = {"en": "en_US", "es": "es_LA"}


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def news_article(article, request, capture_urls=()) -> dict:
    """schema.org NewsArticle for one article: https://schema.org/NewsArticle

    ``capture_urls``: the pages of the archive's captures of the original (absolute, newest first).
    """
    page = _absolute(request, article.get_absolute_url())
    source = article.source
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": page,
        "mainEntityOfPage": page,
        "inLanguage": article.language,
        "genre": article.item_type.name,
        "publisher": {
            "@type": "Organization",
            "name": source.name,
            "url": source.homepage_url or _absolute(request, source.get_absolute_url()),
        },
        "about": [
            {"@type": "Thing", "name": subject.name, "url": _absolute(request, subject.get_absolute_url())}
            for subject in article.subjects.all()
        ],
        "mentions": [
            {
                "@type": "Organization",
                "name": organization.name,
                "url": _absolute(request, organization.get_absolute_url()),
            }
            for organization in article.organizations.all()
        ],
        # Copies of the original: a Wayback Machine link, the archive's captures of it, and this
        # page, which keeps the full text.
        "archivedAt": [url for url in (article.archived_url, *capture_urls, page) if url],
        "isAccessibleForFree": True,
    }
    period = article.publication_period
    if period is not None:
        data["datePublished"] = period.isoformat()  # "2018-11": ISO 8601 at the precision known
    if article.byline:
        data["author"] = {"@type": "Person", "name": article.byline}
    if article.summary:
        data["description"] = article.summary
    if article.original_url:
        data["isBasedOn"] = article.original_url
    return data


def json_ld_script(data: dict):
    """A <script type="application/ld+json"> data block (not executable, so the CSP allows it)."""
    text = json.dumps(data, ensure_ascii=False, indent=2).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # escaped just above


def open_graph(article, request, language: str) -> list[tuple[str, str]]:
    """(property, content) pairs for Open Graph and the Twitter card; no image, as the archive keeps none."""
    page = _absolute(request, article.get_absolute_url())
    description = article.summary or _(
        "An archive of media coverage about immigrants’ rights, surveillance and organizing."
    )
    tags = [
        ("og:type", "article"),
        ("og:title", article.title),
        ("og:description", description),
        ("og:url", page),
        ("og:site_name", current_identity().display_name),
        ("og:locale", OPEN_GRAPH_LOCALES.get(language, language)),
        ("article:section", article.item_type.name),
    ]
    if article.publication_period is not None:
        tags.append(("article:published_time", article.publication_period.isoformat()))
    tags += [("article:tag", subject.name) for subject in article.subjects.all()]
    return tags


def twitter_card(article) -> list[tuple[str, str]]:
    return [("twitter:card", "summary"), ("twitter:title", article.title)] + (
        [("twitter:description", article.summary)] if article.summary else []
    )


# --- Citations ------------------------------------------------------------------------------

_DATE_FORMATS = {DatePrecision.DAY: "DATE_FORMAT", DatePrecision.MONTH: "YEAR_MONTH_FORMAT", DatePrecision.YEAR: "Y"}


def chicago_note(article, request):
    """A Chicago-style note: Byline, “Title,” <i>Source</i>, November 2018, URL."""
    page = _absolute(request, article.get_absolute_url())
    parts = [format_html("“{},”", article.title), format_html("<i>{}</i>", article.source.name)]
    if article.byline:
        parts.insert(0, format_html("{}", article.byline))
    period = article.publication_period
    if period is not None:
        parts.append(date_format(period.start, _DATE_FORMATS[period.precision]))
    if article.original_url:
        parts.append(format_html("{}", article.original_url))
    parts.append(format_html("{} {}", _archived_by(), page))
    text = format_html("{}", parts[0])
    for part in parts[1:]:
        separator = " " if str(text).endswith("”") else ", "
        text = format_html("{}{}{}", text, separator, part)
    return format_html("{}.", text)


def _archived_by() -> str:
    """“archived by <the archive's name>,”: today's sentence until the archive is named."""
    identity = current_identity()
    if identity.is_named:
        return _("archived by %(name)s,") % {"name": identity.display_name}
    return _("archived by Know Your Rights,")


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def ris(article, request) -> str:
    """An RIS record (the format Zotero, EndNote and Mendeley import): https://en.wikipedia.org/wiki/RIS_(file_format)"""
    lines = [("TY", "NEWS"), ("TI", article.title)]
    if article.byline:
        lines.append(("AU", article.byline))
    lines.append(("T2", article.source.name))
    period = article.publication_period
    if period is not None:
        start = period.start
        lines.append(("PY", f"{start.year:04d}"))
        month = f"{start.month:02d}" if period.precision != DatePrecision.YEAR else ""
        day = f"{start.day:02d}" if period.precision == DatePrecision.DAY else ""
        lines.append(("DA", f"{start.year:04d}/{month}/{day}/"))
    lines.append(("LA", article.language))
    # "Name of database": the archive the record was taken from.
    lines.append(("DB", current_identity().display_name))
    if article.summary:
        lines.append(("AB", article.summary))
    lines += [("KW", subject.name) for subject in article.subjects.all()]
    lines.append(("UR", article.original_url or _absolute(request, article.get_absolute_url())))
    if article.original_url:
        lines.append(("L2", _absolute(request, article.get_absolute_url())))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _bibtex_text(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(character, character) for character in _one_line(text))


def bibtex(article, request) -> str:
    """A BibTeX @article entry, the journal being the outlet."""
    period = article.publication_period
    year = f"{period.start.year:04d}" if period else ""
    first_word = next(iter(slugify(article.title).split("-")), "") or "article"
    key = f"{slugify(article.source.name).replace('-', '')[:20]}{year}{first_word}" or f"article{article.pk}"
    fields = [("title", "{" + _bibtex_text(article.title) + "}"), ("journal", _bibtex_text(article.source.name))]
    if article.byline:
        fields.append(("author", "{" + _bibtex_text(article.byline) + "}"))
    if period is not None:
        fields.append(("year", year))
    month = _MONTHS[period.start.month - 1] if period and period.precision != DatePrecision.YEAR else None
    if period is not None and period.precision == DatePrecision.DAY:
        fields.append(("day", str(period.start.day)))
    fields.append(("url", article.original_url or _absolute(request, article.get_absolute_url())))
    fields.append(("language", article.language))
    if article.summary:
        fields.append(("abstract", _bibtex_text(article.summary)))
    fields.append(("note", _bibtex_text(f"{_archived_by()} {_absolute(request, article.get_absolute_url())}")))
    subjects = [subject.name for subject in article.subjects.all()]
    if subjects:
        fields.append(("keywords", _bibtex_text(", ".join(subjects))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    if month:
        body += f",\n  month = {month}"
    return f"@article{{{key},\n{body}\n}}\n"


def citation_urls(article) -> dict:
    return {
        "ris": reverse("coverage_archive:article_ris", kwargs={"slug": article.slug}),
        "bibtex": reverse("coverage_archive:article_bibtex", kwargs={"slug": article.slug}),
    }
