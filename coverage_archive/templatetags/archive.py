from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from coverage_archive.dates import DatePrecision
from coverage_archive.filters import MAX_QUERY_LENGTH

register = template.Library()

# How a date of each precision reads, in the active language's own formats.
_FORMATS = {
    DatePrecision.DAY: "DATE_FORMAT",
    DatePrecision.MONTH: "YEAR_MONTH_FORMAT",
    DatePrecision.YEAR: "Y",
}


@register.simple_tag
def publication_date(article):
    """The article's date at its precision, as a <time> element: “November 2018”."""
    period = article.publication_period
    if period is None:
        return _("Date unknown")
    return format_html(
        '<time datetime="{}">{}</time>', period.isoformat(), date_format(period.start, _FORMATS[period.precision])
    )


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in each of the site's languages: the same path and filters, another prefix.

    Plain links: the language comes from the URL alone, so switching sets no cookie.
    """
    request = context.get("request")
    path = "/"
    if request is not None:
        params = request.GET.copy()
        if len(params.get("q", "")) > MAX_QUERY_LENGTH:
            params["q"] = params["q"][:MAX_QUERY_LENGTH]  # as the page read it: the cut part is shown nowhere
        path = f"{request.path}?{params.urlencode()}" if params else request.path
    current = get_language()
    versions = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        versions.append(
            {
                "code": code,
                "name": capfirst(get_language_info(code)["name_local"]),
                "url": url,
                "absolute_url": request.build_absolute_uri(url) if request else url,
                "current": code == current,
            }
        )
    return versions
