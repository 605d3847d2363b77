"""Change history for writes that bypass Model.save(): admin actions and imports.

django-simple-history records a change on save() and on each many-to-many
add/remove. Bulk writes (QuerySet.update(), bulk_create) send no signals, so
they record nothing unless told to; and its own bulk_history_create() leaves
out the many-to-many snapshot, which would make the next diff show every
subject as removed.

record_article_changes() writes both, as simple-history would: one entry per
article copying its tracked columns, and a copy of its subject and
organization links for that entry. It copies them inside the database
(INSERT … SELECT), so recording 50,000 imported articles costs a few
statements per thousand rather than a Python object per row.
"""

from django.db import connection
from django.utils import timezone

from coverage_archive.models import Article

CREATED, CHANGED = "+", "~"
# simple-history's history_change_reason column holds 100 characters.
MAX_REASON_LENGTH = 100
BATCH_SIZE = 500


def _quoted(name):
    return connection.ops.quote_name(name)


def record_article_changes(articles, history_type: str = CHANGED, *, user=None, reason: str = "") -> int:
    """Add one history entry per article, as it now is in the database, with its links.

    Call it after the write (in the same transaction). Returns the number of entries written.
    """
    history_model = Article.history.model
    columns = [field.column for field in history_model.tracked_fields]
    entry_columns = ", ".join(_quoted(column) for column in columns)
    insert_entries = (
        f"INSERT INTO {_quoted(history_model._meta.db_table)} "
        f"({entry_columns}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {entry_columns}, %s, %s, %s, %s FROM {_quoted(Article._meta.db_table)} "
        "WHERE id IN ({ids}) ORDER BY id RETURNING history_id"
    )
    link_copies = []
    for field in history_model._history_m2m_fields:
        link_history_model = getattr(history_model, field.name).model
        through = field.remote_field.through
        link_columns = [link_field.column for link_field in through._meta.concrete_fields]
        link_copies.append(
            f"INSERT INTO {_quoted(link_history_model._meta.db_table)} "
            f"({', '.join(_quoted(column) for column in link_columns)}, history_id) "
            f"SELECT {', '.join('link.' + _quoted(column) for column in link_columns)}, entry.history_id "
            f"FROM {_quoted(through._meta.db_table)} link "
            f"JOIN {_quoted(history_model._meta.db_table)} entry ON entry.id = link.article_id "
            "WHERE entry.history_id IN ({ids}) ORDER BY link.id"
        )

    ids = sorted({article.pk for article in articles})
    history_date = connection.ops.adapt_datetimefield_value(timezone.now())
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            placeholders = ", ".join(["%s"] * len(batch))
            cursor.execute(
                insert_entries.format(ids=placeholders),
                [history_date, reason[:MAX_REASON_LENGTH], history_type, user.pk if user else None, *batch],
            )
            entries = [row[0] for row in cursor.fetchall()]
            written += len(entries)
            entry_placeholders = ", ".join(["%s"] * len(entries))
            for copy_links in link_copies:
                cursor.execute(copy_links.format(ids=entry_placeholders), entries)
    return written
