"""Backup and restore of the whole archive (manage.py export_archive / import_archive).

The file is JSON Lines, UTF-8, one JSON object per line:

- line 1, the header: ``{"format": "know-your-rights-archive", "version": 1,
  "models": {"<app>.<model>": [field, …], …}}``, naming each record type and its fields;
- then one line per record, ``{"model": "<app>.<model>", "fields": {…}}``, model by model
  in the header's order, each model's records in primary-key order.

It holds the taxonomies, articles, their subject and organization links, the
former slugs that redirect, the whole change history, and the accounts the
history names (without passwords) with their groups and permissions. Dates and
times are ISO 8601, times in UTC with microseconds. Columns derived from others
are left out and rebuilt on restore: the normalised original URL (by
normalize_url) and the search columns (by the database's triggers).

The export is deterministic — the same archive gives the same bytes, on SQLite
or PostgreSQL, and the file holds no time of export (the file's own date says
when) — so export → restore into an empty database → export gives an
identical file. The export reads the whole archive in one snapshot (see
one_snapshot), so a backup taken while editors work is consistent.

A restore keeps primary keys, timestamps and history as they were, writes no
history of its own (bulk inserts send no signals), and resets PostgreSQL's
sequences so new rows get fresh ids.
"""

import datetime
import json
import uuid
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils.dateparse import parse_datetime

from coverage_archive.models import (
    Article,
    ArticleOrganization,
    ArticleSubject,
    FormerSlug,
    ItemType,
    Organization,
    Source,
    Subject,
)
from coverage_archive.urlnorm import normalize_url

FORMAT = "know-your-rights-archive"
VERSION = 1
BATCH_SIZE = 1000
# Derived columns, rebuilt on restore rather than stored.
DERIVED_FIELDS = {Article: {"search_text", "original_url_normalized"}}
USER_FIELDS = (
    "id",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
)


class BackupError(Exception):
    """The file cannot be restored here; nothing was written."""


def archive_models() -> list:
    """The models whose rows the backup holds, in an order that restores without dangling keys."""
    terms = [Source, Subject, ItemType, Organization]
    content = [*terms, Article, ArticleSubject, ArticleOrganization, FormerSlug]
    history = [model.history.model for model in (*terms, Article)]
    link_history = [getattr(Article.history.model, name).model for name in ("subjects", "organizations")]
    return content + history + link_history


def _label(model) -> str:
    return model._meta.label_lower


def _fields(model) -> list:
    excluded = DERIVED_FIELDS.get(model, set())
    return [field for field in model._meta.concrete_fields if field.name not in excluded]


def describe() -> dict:
    """Each record type and its fields, as the header states them."""
    description = {
        "auth.group": ["name", "permissions"],
        _label(get_user_model()): [*USER_FIELDS, "groups", "user_permissions"],
    }
    for model in archive_models():
        description[_label(model)] = [field.attname for field in _fields(model)]
    return description


# --- Export ---------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _line(label: str, fields: dict) -> str:
    return json.dumps({"model": label, "fields": fields}, ensure_ascii=False, separators=(",", ":")) + "\n"


def _permission_names(permissions) -> list:
    return sorted(f"{app_label}.{codename}" for app_label, codename in permissions)


def export_lines():
    """The backup file, line by line."""
    yield (
        json.dumps(
            {"format": FORMAT, "version": VERSION, "models": describe()}, ensure_ascii=False, separators=(",", ":")
        )
        + "\n"
    )

    group_permissions = {}
    for name, app_label, codename in Group.permissions.through.objects.values_list(
        "group__name", "permission__content_type__app_label", "permission__codename"
    ):
        group_permissions.setdefault(name, []).append((app_label, codename))
    for name in Group.objects.order_by("name").values_list("name", flat=True):
        yield _line("auth.group", {"name": name, "permissions": _permission_names(group_permissions.get(name, []))})

    User = get_user_model()
    user_groups, user_permissions = {}, {}
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        user_groups.setdefault(user_id, []).append(name)
    for user_id, app_label, codename in User.user_permissions.through.objects.values_list(
        "user_id", "permission__content_type__app_label", "permission__codename"
    ):
        user_permissions.setdefault(user_id, []).append((app_label, codename))
    for values in User.objects.order_by("pk").values_list(*USER_FIELDS):
        fields = {name: _value(value) for name, value in zip(USER_FIELDS, values, strict=True)}
        fields["groups"] = sorted(user_groups.get(fields["id"], []))
        fields["user_permissions"] = _permission_names(user_permissions.get(fields["id"], []))
        yield _line(_label(User), fields)

    for model in archive_models():
        names = [field.attname for field in _fields(model)]
        rows = model._base_manager.order_by("pk").values_list(*names).iterator(chunk_size=BATCH_SIZE)
        for values in rows:
            yield _line(_label(model), {name: _value(value) for name, value in zip(names, values, strict=True)})


@contextmanager
def one_snapshot():
    """Let every read inside see the database as it was at one moment, whatever is written meanwhile.

    Outside a transaction each statement sees the database as of its own start, so a backup
    read table by table while editors save would hold links to articles written after the
    articles were read, and could not be restored. Here all the reads share one snapshot:

    - PostgreSQL: one REPEATABLE READ, READ ONLY transaction; its snapshot is taken at its
      first query, and writers go on unhindered. Django's atomic() on psycopg only turns
      autocommit off, and psycopg sends BEGIN just before the next statement, so SET
      TRANSACTION is the transaction's first statement, as PostgreSQL requires.
    - SQLite: one read transaction (atomic() issues a deferred BEGIN). In WAL mode it reads
      the snapshot of its first read while writers go on; in the default rollback-journal
      mode its shared lock holds a writer's commit until the reads end (the writer waits up
      to its busy timeout, 5 s by default; README advises WAL for a large archive).

    Inside a transaction already open (a test's), the reads belong to that one.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_archive(stream) -> int:
    """Write the backup to a text stream, read in one snapshot; returns the number of records."""
    count = -1  # the header is not a record
    with one_snapshot():
        for line in export_lines():
            stream.write(line)
            count += 1
    return count


# --- Restore --------------------------------------------------------------------------------


@contextmanager
def _timestamps_as_given(model_list):
    """Let bulk_create store created/updated times from the file instead of now.

    Django fills auto_now fields on every insert; a restore must keep the times
    the backup holds. Only ever used inside a management command's restore.
    """
    switched = []
    for model in model_list:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                switched.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in switched:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _python_value(field, value):
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return parse_datetime(value)
    if isinstance(field, models.DateField):
        return datetime.date.fromisoformat(value)
    return value


def _occupied() -> list:
    models_to_check = [get_user_model(), *archive_models()]
    return [str(model._meta.verbose_name_plural) for model in models_to_check if model._base_manager.exists()]


def _permissions(names: list) -> list:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _app, codename in wanted]
        )
    }
    missing = wanted - set(found)
    if missing:
        raise BackupError(
            "The backup names permissions this installation lacks: "
            + ", ".join(sorted(".".join(name) for name in missing))
            + ". Run manage.py migrate first."
        )
    return [found[name] for name in sorted(wanted)]


def _read(lines):
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        raise BackupError("This is not an archive backup: its first line is not the backup's header.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not an archive backup made by manage.py export_archive.")
    if header.get("version") != VERSION:
        raise BackupError(f"This backup has version {header.get('version')}; this archive restores version {VERSION}.")
    if header.get("models") != describe():
        raise BackupError(
            "This backup was made by a version of the archive whose data differs from this one's "
            "(the record types or their fields are not the same). Restore it with the version that made it."
        )
    for number, line in enumerate(lines, start=2):
        try:
            record = json.loads(line)
            yield record["model"], record["fields"]
        except (ValueError, KeyError, TypeError):
            raise BackupError(f"Line {number} of the backup is damaged.") from None


def import_archive(lines, *, dry_run: bool = False) -> dict:
    """Restore a backup into an empty archive, all or nothing; returns record counts by type."""
    lines = iter(lines)
    restorable = archive_models()
    by_label = {_label(model): model for model in restorable}
    User = get_user_model()
    counts = {}
    with transaction.atomic():
        occupied = _occupied()
        if occupied:
            raise BackupError(
                "Restore needs an empty archive, and this database already holds "
                + ", ".join(occupied)
                + ". Restore into a new database: create it, run manage.py migrate, then import_archive."
            )
        pending, pending_model = [], None

        def flush():
            if pending:
                pending_model._base_manager.bulk_create(pending, batch_size=BATCH_SIZE)
                pending.clear()

        user_links = []
        with _timestamps_as_given(restorable):
            for label, fields in _read(lines):
                counts[label] = counts.get(label, 0) + 1
                if label == "auth.group":
                    group, _created = Group.objects.get_or_create(name=fields["name"])
                    group.permissions.set(_permissions(fields["permissions"]))
                    continue
                if label == _label(User):
                    user = User(
                        **{name: _python_value(User._meta.get_field(name), fields[name]) for name in USER_FIELDS}
                    )
                    user.password = make_password(None)  # passwords are not in backups: set one to sign in
                    user.save()
                    user_links.append((user, fields["groups"], fields["user_permissions"]))
                    continue
                model = by_label.get(label)
                if model is None:
                    raise BackupError(f"The backup holds records of an unknown type, {label}.")
                if model is not pending_model:
                    flush()
                    pending_model = model
                values = {field.attname: _python_value(field, fields[field.attname]) for field in _fields(model)}
                instance = model(**values)
                if model is Article:
                    instance.original_url_normalized = normalize_url(instance.original_url)
                pending.append(instance)
                if len(pending) >= BATCH_SIZE:
                    flush()
            flush()
        groups = {group.name: group for group in Group.objects.all()}
        for user, group_names, permission_names in user_links:
            user.groups.set([groups[name] for name in group_names])
            user.user_permissions.set(_permissions(permission_names))
        # Rows came with their ids: move PostgreSQL's sequences past them.
        statements = connection.ops.sequence_reset_sql(no_style(), [User, Group, *restorable])
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        if dry_run:
            transaction.set_rollback(True)
    return counts
