from django import template
from django.conf import settings
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.urls import translate_url
from django.utils.encoding import escape_uri_path
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
    Error pages use this too, so nothing here may fail on the request that made
    them: a Host header the site does not serve leaves out the absolute URLs of the
    ``hreflang`` alternates, too many parameters leave out the parameters, and the
    links stay on this site whatever the path (``//other.example/`` is read as a path).
    """
    request = context.get("request")
    path = "/"
    if request is not None:
        path = _path_on_this_site(request.path)
        params = _params_or_none(request)
        if params:
            if len(params.get("q", "")) > MAX_QUERY_LENGTH:
                params["q"] = params["q"][:MAX_QUERY_LENGTH]  # as the page read it: the cut part is shown nowhere
            path = f"{path}?{params.urlencode()}"
    current = get_language()
    versions = []
    for code, _name in settings.LANGUAGES:
        url = "/" + translate_url(path, code).lstrip("/")
        versions.append(
            {
                "code": code,
                "name": capfirst(get_language_info(code)["name_local"]),
                "url": url,
                "absolute_url": _absolute_or_none(request, url) if request else url,
                "current": code == current,
            }
        )
    return versions


def _path_on_this_site(path: str) -> str:
    """The path percent-encoded, with one leading slash: a link that starts with
    two (or a slash and a backslash, which browsers read alike) names another host."""
    return "/" + escape_uri_path(path).lstrip("/")


def _params_or_none(request):
    try:
        return request.GET.copy()
    except SuspiciousOperation:  # more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: the 400 page
        return None


def _absolute_or_none(request, url):
    try:
        return request.build_absolute_uri(url)
    except DisallowedHost:  # a Host header the site does not serve: the 400 page
        return None
