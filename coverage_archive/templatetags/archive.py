from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from coverage_archive.dates import DatePrecision

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
