"""CSV and JSON exports of any filtered view of the archive, streamed.

The rows are the archive page's results (the same FilterSet, published() and
order), read in chunks from a database cursor so memory stays flat however many
rows match. The CSV has the import's columns (coverage_archive.importing), so an
export imports back into an archive unchanged.
"""

import csv
import json

from django.urls import reverse

from coverage_archive.importing import COLUMNS, LIST_SEPARATOR
from coverage_archive.spreadsheet import protect_cell

# Rows read per database round trip; each chunk costs three queries (the rows, their subjects, their organizations).
CHUNK_SIZE = 2000


def export_values(article) -> dict:
    """One article as the import's columns; subjects and organizations as lists of names."""
    period = article.publication_period
    return {
        "title": article.title,
        "source": article.source.name,
        "type": article.item_type.name,
        "subjects": [subject.name for subject in article.subjects.all()],
        "organizations": [organization.name for organization in article.organizations.all()],
        "date": period.isoformat() if period else "",
        "language": article.language,
        "byline": article.byline,
        "summary": article.summary,
        "body": article.body,
        "original_url": article.original_url,
        "archived_url": article.archived_url,
        "status": article.status,
        "note": article.editors_note,
    }


class _Echo:
    """A file-like object whose write() hands back the line csv.writer produced."""

    def write(self, value):
        return value


def csv_lines(queryset):
    """The header and one line per article; formula-like cells behind an apostrophe."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    # A byte-order mark, so spreadsheets read the file as UTF-8 (the import skips it).
    yield "\ufeff" + writer.writerow(COLUMNS)
    separator = f"{LIST_SEPARATOR} "
    for article in queryset.iterator(chunk_size=CHUNK_SIZE):
        values = export_values(article)
        values["subjects"] = separator.join(values["subjects"])
        values["organizations"] = separator.join(values["organizations"])
        yield writer.writerow([protect_cell(values[column]) for column in COLUMNS])


def json_chunks(queryset, request):
    """A JSON array of objects, one per article, with its address in the archive."""
    yield "["
    separator = "\n"
    for article in queryset.iterator(chunk_size=CHUNK_SIZE):
        record = {
            "url": request.build_absolute_uri(reverse("coverage_archive:article", kwargs={"slug": article.slug})),
            **export_values(article),
        }
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"
