"""Dates known to a day, a month, a year, or not at all.

Coverage often comes without a full date ("November 2018"). One parser serves
the archive's date filters, the admin form and imports, so "2018", "2018-11"
and "2018-11-05" mean the same everywhere.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    UNKNOWN = "unknown", _("Unknown")


class _DatePart:
    """On SQLite, a date field's part cut from its stored text ('YYYY-MM-DD') by SQLite itself.

    Django's ExtractYear and ExtractMonth call a Python function for every row
    on SQLite (django_date_extract): over a search's 30,000 matches, a third of
    the facet counts' time. Elsewhere these are Django's own (EXTRACT on
    PostgreSQL). For date fields only: a datetime is stored otherwise.
    """

    start: int
    length: int

    def as_sqlite(self, compiler, connection, **extra_context):
        if self.lhs.output_field.get_internal_type() != "DateField":
            return self.as_sql(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        return f"CAST(substr({sql}, {self.start}, {self.length}) AS INTEGER)", params


class DateYear(_DatePart, ExtractYear):
    """The year of a date field, as ExtractYear gives it."""

    start, length = 1, 4


class DateMonth(_DatePart, ExtractMonth):
    """The month of a date field, as ExtractMonth gives it."""

    start, length = 6, 2


_PARTIAL_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?$")


@dataclass(frozen=True)
class PartialDate:
    """A period: its first day and how much of the date is known."""

    start: datetime.date
    precision: DatePrecision

    @property
    def end(self) -> datetime.date:
        """The last day of the period."""
        if self.precision == DatePrecision.YEAR:
            return self.start.replace(month=12, day=31)
        if self.precision == DatePrecision.MONTH:
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return self.start.replace(day=last)
        return self.start

    def isoformat(self) -> str:
        """``2018``, ``2018-11`` or ``2018-11-05``: the form it was given in."""
        if self.precision == DatePrecision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()


def parse_partial_date(text: str) -> PartialDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError otherwise."""
    match = _PARTIAL_DATE.match(text.strip())
    if not match:
        raise ValueError(f"not a date of the form YYYY, YYYY-MM or YYYY-MM-DD: {text!r}")
    year = int(match["year"])
    if year < 1:
        raise ValueError("year 0000 does not exist")
    if match["day"] is not None:
        return PartialDate(datetime.date(year, int(match["month"]), int(match["day"])), DatePrecision.DAY)
    if match["month"] is not None:
        return PartialDate(datetime.date(year, int(match["month"]), 1), DatePrecision.MONTH)
    return PartialDate(datetime.date(year, 1, 1), DatePrecision.YEAR)
