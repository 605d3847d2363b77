import datetime

import pytest

from coverage_archive.dates import DatePrecision, PartialDate, parse_partial_date


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2018", datetime.date(2018, 1, 1), datetime.date(2018, 12, 31), DatePrecision.YEAR),
        ("2018-11", datetime.date(2018, 11, 1), datetime.date(2018, 11, 30), DatePrecision.MONTH),
        ("2020-02", datetime.date(2020, 2, 1), datetime.date(2020, 2, 29), DatePrecision.MONTH),
        ("2018-11-05", datetime.date(2018, 11, 5), datetime.date(2018, 11, 5), DatePrecision.DAY),
        (" 2018-1-5 ", datetime.date(2018, 1, 5), datetime.date(2018, 1, 5), DatePrecision.DAY),
    ],
)
def test_a_partial_date_covers_its_whole_period(text, start, end, precision):
    period = parse_partial_date(text)
    assert (period.start, period.end, period.precision) == (start, end, precision)


@pytest.mark.parametrize("text", ["", "18", "2018-13", "2018-02-30", "2018/11", "Nov 2018", "0000", "2018-11-05T10:00"])
def test_malformed_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_partial_date(text)


def test_a_partial_date_is_written_back_in_the_form_it_was_given():
    assert PartialDate(datetime.date(2018, 11, 1), DatePrecision.MONTH).isoformat() == "2018-11"
    assert PartialDate(datetime.date(2018, 1, 1), DatePrecision.YEAR).isoformat() == "2018"
    assert PartialDate(datetime.date(2018, 11, 5), DatePrecision.DAY).isoformat() == "2018-11-05"
