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
normalize_url) and the search index (by the database's triggers).

The export is deterministic — the same archive gives the same bytes, on SQLite
or PostgreSQL, and the file holds no time of export (the file's own date says
when) — so export → restore into an empty database → export gives an
identical file. The export reads the whole archive in one snapshot (see
one_snapshot), so a backup taken while editors work is consistent.

A restore keeps primary keys, timestamps and history as they were, writes no
history of its own (bulk inserts send no signals), and resets PostgreSQL's
sequences so new rows get fresh ids. It is all or nothing: a file it cannot
restore whole (damaged, cut short, or naming records it does not hold) is
refused with a BackupError saying which line and what is wrong, and nothing is
written.
"""

import datetime
import json
import uuid
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connection, models, transaction
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
DERIVED_FIELDS = {Article: {"original_url_normalized"}}
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
    """The value a record's field holds, as Python; ValueError or ValidationError if it cannot be."""
    if value is None:
        return None  # whether the field may be empty is the database's to say
    if isinstance(field, models.DateTimeField):
        # Backups hold times in UTC with their offset; a bare date or a naive time is damage.
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            raise ValueError("not a date and time with its UTC offset")
        return parsed
    if isinstance(field, models.DateField) and not isinstance(value, str):
        raise ValueError("not a date")
    return field.to_python(value)


def _name(model) -> str:
    """A record type in words: its verbose name ("article subject"), or its label when it has none of its own."""
    name = str(model._meta.verbose_name)
    return _label(model) if name == model._meta.object_name else name


def _reason(error) -> str:
    """What the database or a field said, on one line."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join(str(error).split()) or type(error).__name__


def _occupied() -> list:
    models_to_check = [get_user_model(), *archive_models()]
    try:
        return [str(model._meta.verbose_name_plural) for model in models_to_check if model._base_manager.exists()]
    except DatabaseError as error:
        raise BackupError(
            f"This database cannot hold the archive yet ({_reason(error)}): run manage.py migrate first."
        ) from None


def _permissions(names: list, number: int) -> list:
    if not isinstance(names, list) or not all(isinstance(name, str) and "." in name for name in names):
        raise BackupError(
            f"Line {number:,} of the backup is damaged: permissions are named “app_label.codename”, not {names!r}."
        )
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
            f"Line {number:,} of the backup names permissions this installation lacks: "
            + ", ".join(sorted(".".join(name) for name in missing))
            + ". Run manage.py migrate first."
        )
    return [found[name] for name in sorted(wanted)]


def _read(lines):
    """Check the header, then yield (line number, record type, fields) for each record.

    Each line must be a whole record of a type the header names, with exactly its fields, in
    the header's order of types; a line without its newline is where a copy was cut short.
    """
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        raise BackupError("This is not an archive backup: its first line is not the backup's header.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not an archive backup made by manage.py export_archive.")
    if header.get("version") != VERSION:
        raise BackupError(f"This backup has version {header.get('version')}; this archive restores version {VERSION}.")
    description = describe()
    if header.get("models") != description:
        raise BackupError(
            "This backup was made by a version of the archive whose data differs from this one's "
            "(the record types or their fields are not the same). Restore it with the version that made it."
        )
    order = {label: position for position, label in enumerate(description)}
    labels = list(description)
    current = 0
    for number, line in enumerate(lines, start=2):
        if not line.endswith("\n"):
            raise BackupError(
                f"Line {number:,}, the last, stops short of its end: the backup is incomplete "
                "(the file was cut off, e.g. by a full disk or an interrupted copy)."
            )
        try:
            record = json.loads(line)
        except ValueError:
            raise BackupError(f"Line {number:,} of the backup is damaged: it is not JSON.") from None
        if not (
            isinstance(record, dict)
            and set(record) == {"model", "fields"}
            and isinstance(record["model"], str)
            and isinstance(record["fields"], dict)
        ):
            raise BackupError(
                f'Line {number:,} of the backup is damaged: it is not a record ({{"model": …, "fields": {{…}}}}).'
            )
        label, fields = record["model"], record["fields"]
        if label not in order:
            raise BackupError(f"Line {number:,} of the backup holds a record of an unknown type, {label}.")
        if order[label] < current:
            raise BackupError(
                f"Line {number:,} of the backup is out of order: a {label} record after the "
                f"{labels[current]} records (the header's order lets each record's references restore first)."
            )
        current = order[label]
        expected = description[label]
        missing = [name for name in expected if name not in fields]
        unknown = sorted(set(fields) - set(expected))
        if missing or unknown:
            problems = [f"lacks {', '.join(missing)}"] if missing else []
            problems += [f"has {', '.join(unknown)}, which the header does not name"] if unknown else []
            raise BackupError(f"Line {number:,} of the backup is damaged: its {label} record {' and '.join(problems)}.")
        yield number, label, fields


class _Restore:
    """One restore's state: what the file has held so far, and the records waiting to be written."""

    def __init__(self, restorable):
        self.by_label = {_label(model): model for model in restorable}
        self.user_model = get_user_model()
        # The keys of every record read so far, by type, so that a reference is checked before it
        # is written: the header's order puts each record after the ones it refers to.
        self.keys = {_label(model): set() for model in [self.user_model, *restorable]}
        self.groups = set()
        self.pending, self.pending_model, self.pending_from = [], None, None
        self.references = {model: self._references(model) for model in restorable}
        self.counts = {}

    def _references(self, model):
        """(attname, target label, target) of each foreign key the database enforces to a record type of the file."""
        return [
            (field.attname, _label(field.related_model), field.related_model)
            for field in _fields(model)
            if field.is_relation and field.db_constraint and _label(field.related_model) in self.keys
        ]

    def _values(self, number, label, model, fields, names):
        values = {}
        for name in names:
            field = model._meta.get_field(name)
            try:
                values[field.attname] = _python_value(field, fields[field.attname])
            except (ValidationError, ValueError, TypeError) as error:
                raise BackupError(
                    f"Line {number:,} of the backup is damaged: the {label} record's {field.attname} is "
                    f"{fields[field.attname]!r}, which it cannot be ({_reason(error)})."
                ) from None
        return values

    def _remember(self, number, model, key):
        known = self.keys[_label(model)]
        if key in known:
            raise BackupError(f"Line {number:,} of the backup holds a second {_name(model)} {key}; each comes once.")
        known.add(key)

    def group(self, number, fields):
        if not isinstance(fields["name"], str) or not fields["name"]:
            raise BackupError(f"Line {number:,} of the backup is damaged: a group without a name.")
        if fields["name"] in self.groups:
            raise BackupError(
                f"Line {number:,} of the backup holds a second group {fields['name']!r}; each comes once."
            )
        self.groups.add(fields["name"])
        group, _created = Group.objects.get_or_create(name=fields["name"])
        group.permissions.set(_permissions(fields["permissions"], number))

    def user(self, number, label, fields):
        """The account, saved at once (a password is set for it), and its groups and permissions, checked."""
        User = self.user_model
        user = User(**self._values(number, label, User, fields, USER_FIELDS))
        self._remember(number, User, user.pk)
        names = fields["groups"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise BackupError(f"Line {number:,} of the backup is damaged: account {user.username!r}'s groups.")
        unknown = [name for name in names if name not in self.groups]
        if unknown:
            raise BackupError(
                f"Line {number:,}: account {user.username!r} belongs to group {unknown[0]!r}, "
                "which the backup does not hold."
            )
        permissions = _permissions(fields["user_permissions"], number)
        user.password = make_password(None)  # passwords are not in backups: set one to sign in
        try:
            user.save()
        except DatabaseError as error:
            raise BackupError(
                f"Line {number:,}: the database refused account {user.username!r}: {_reason(error)}."
            ) from None
        return user, names, permissions

    def record(self, number, label, fields):
        model = self.by_label[label]
        if model is not self.pending_model:
            self.flush()
            self.pending_model = model
        values = self._values(number, label, model, fields, [field.name for field in _fields(model)])
        for attname, target_label, target in self.references[model]:
            if values[attname] is not None and values[attname] not in self.keys[target_label]:
                raise BackupError(
                    f"Line {number:,}: {_name(model)} {values[model._meta.pk.attname]} refers to "
                    f"{_name(target)} {values[attname]} (its {attname}), which the backup does not hold. "
                    "The backup is inconsistent; take a new one (export_archive reads the archive in one "
                    "snapshot, so one taken while editors work is whole)."
                )
        self._remember(number, model, values[model._meta.pk.attname])
        instance = model(**values)
        if model is Article:
            instance.original_url_normalized = normalize_url(instance.original_url)
        if not self.pending:
            self.pending_from = number
        self.pending.append(instance)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self):
        if not self.pending:
            return
        model, first = self.pending_model, self.pending_from
        try:
            model._base_manager.bulk_create(self.pending, batch_size=BATCH_SIZE)
        except DatabaseError as error:
            last = first + len(self.pending) - 1
            which = (
                f"Line {first:,}: the database refused this {model._meta.verbose_name}"
                if first == last
                else f"Lines {first:,} to {last:,}: the database refused these {model._meta.verbose_name_plural}"
            )
            raise BackupError(f"{which}: {_reason(error)}.") from None
        self.pending.clear()


def import_archive(lines, *, dry_run: bool = False) -> dict:
    """Restore a backup into an empty archive, all or nothing; returns record counts by type.

    Every reason the file cannot be restored is a BackupError, and nothing is written.
    """
    lines = iter(lines)
    restorable = archive_models()
    User = get_user_model()
    restore = _Restore(restorable)
    counts = restore.counts
    try:
        with transaction.atomic():
            occupied = _occupied()
            if occupied:
                raise BackupError(
                    "Restore needs an empty archive, and this database already holds "
                    + ", ".join(occupied)
                    + ". Restore into a new database: create it, run manage.py migrate, then import_archive."
                )
            user_links = []
            with _timestamps_as_given(restorable):
                for number, label, fields in _read(lines):
                    counts[label] = counts.get(label, 0) + 1
                    if label == "auth.group":
                        restore.group(number, fields)
                    elif label == _label(User):
                        user_links.append(restore.user(number, label, fields))
                    else:
                        restore.record(number, label, fields)
                restore.flush()
            groups = {group.name: group for group in Group.objects.all()}
            for user, group_names, permissions in user_links:
                user.groups.set([groups[name] for name in group_names])
                user.user_permissions.set(permissions)
            # Foreign keys are checked at commit (PostgreSQL) or not named in the error (SQLite):
            # check them now, inside the transaction, naming the row, also for a dry run.
            try:
                connection.check_constraints()
            except IntegrityError as error:
                raise BackupError(f"The backup refers to records it does not hold: {_reason(error)}") from None
            # Rows came with their ids: move PostgreSQL's sequences past them.
            statements = connection.ops.sequence_reset_sql(no_style(), [User, Group, *restorable])
            if statements:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as error:
        # Anything the checks above did not foresee, including at commit: still no traceback.
        raise BackupError(f"The database refused the restore: {_reason(error)}.") from None
    return counts
