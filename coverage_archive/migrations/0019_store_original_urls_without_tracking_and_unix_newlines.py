"""Store what was saved before the rule: original URLs without tracking parameters, text with ``\\n`` line breaks.

From now on every save, import and link added does this (models.stored_value); this
migration brings the rows saved earlier in line. No two articles can collide on the
unique normalised URL: the normalised form already left tracking parameters out, so
it does not change (original_url_normalized is left as it is).

The reverse is a no-op: which parameters and carriage returns were dropped is not
recorded (the history of each article still shows them), and no earlier code needs them.
"""

from django.db import migrations
from django.db.models import Q

from coverage_archive.text import unix_newlines
from coverage_archive.urlnorm import without_tracking

BATCH_SIZE = 500
ARTICLE_TEXT_FIELDS = ["summary", "body", "editors_note"]
TERM_TEXT_FIELDS = ["description", "description_es"]
TERM_MODELS = ["Source", "Subject", "ItemType", "Organization"]


def _tidy(model, fields, url_field=None):
    stale = Q()
    for name in fields:
        stale |= Q(**{f"{name}__contains": "\r"})
    if url_field:
        stale |= Q(**{f"{url_field}__contains": "?"})
    changed = []
    for row in model.objects.filter(stale).order_by("pk").only("pk", *fields, *([url_field] if url_field else [])):
        before = {name: getattr(row, name) for name in fields}
        for name in fields:
            setattr(row, name, unix_newlines(getattr(row, name)))
        after = {name: getattr(row, name) for name in fields}
        if url_field:
            before[url_field] = getattr(row, url_field)
            after[url_field] = without_tracking(before[url_field])
            setattr(row, url_field, after[url_field])
        if before != after:
            changed.append(row)
        if len(changed) == BATCH_SIZE:
            model.objects.bulk_update(changed, [*fields, *([url_field] if url_field else [])])
            changed = []
    if changed:
        model.objects.bulk_update(changed, [*fields, *([url_field] if url_field else [])])


def store_without_tracking_and_carriage_returns(apps, schema_editor):
    _tidy(apps.get_model("coverage_archive", "Article"), ARTICLE_TEXT_FIELDS, url_field="original_url")
    for name in TERM_MODELS:
        _tidy(apps.get_model("coverage_archive", name), TERM_TEXT_FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0018_remove_article_search_text"),
    ]

    operations = [
        migrations.RunPython(store_without_tracking_and_carriage_returns, migrations.RunPython.noop, elidable=True),
    ]
