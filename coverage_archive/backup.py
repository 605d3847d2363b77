"""Backup and restore of the whole archive (manage.py export_archive / import_archive).

The file is JSON Lines, UTF-8, one JSON object per line:

- line 1, the header: ``{"format": "know-your-rights-archive", "version": 2,
  "models": {"<app>.<model>": [field, …], …}}``, naming each record type and its fields;
- then one line per record, ``{"model": "<app>.<model>", "fields": {…}}``, model by model
  in the header's order, each model's records in primary-key order.

It holds the taxonomies, articles, their subject and organization links, the
former slugs that redirect, the preservation room (every capture, a proposal
no draft was made of yet included, the link checks and link states), the whole
change history, and the accounts the history names (without passwords) with
their groups and permissions. Dates and times are ISO 8601, times in UTC with
microseconds; JSON values with their keys sorted. Columns derived from others
are left out and rebuilt on restore: the normalised original URL (by
normalize_url) and the search index (by the database's triggers).

Each capture's WARC file travels in its capture's line, base64, as its last
field (``warc_base64``), so a backup is one file to copy. It is streamed from
storage a piece at a time and checked against the capture's ``warc_sha256`` as
it goes, so memory stays flat however many and large the files; a file missing
from storage or differing from its digest stops the export (a BackupError),
except the file of a capture deleted after the snapshot was taken, which went
with its row: that capture is left out (nothing refers to a capture).

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
written. Each WARC file is checked against its record's digest before it goes
into storage, under its own name; storage already holding a different file of
that name is refused (the same file is left as it is), and the files a failed
restore wrote are removed again. Version 1 files (before the preservation room)
still restore; a newer version is refused.
"""

import base64
import binascii
import datetime
import hashlib
import json
import uuid
from contextlib import closing, contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.utils import validate_file_name
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, models, transaction
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
from coverage_archive.preservation.models import Capture, LinkCheck, LinkState
from coverage_archive.urlnorm import normalize_url

FORMAT = "know-your-rights-archive"
# 2 added the preservation room: captures with their WARC files, link checks, link states.
VERSION = 2
OLDEST_VERSION = 1
BATCH_SIZE = 1000
# A capture record's WARC file, base64, the record's last field.
WARC_DATA = "warc_base64"
# Read and encoded this much of a WARC file at a time (a multiple of 3: base64 pieces join up).
WARC_CHUNK = 3 * 64 * 1024
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


def archive_models(version: int = VERSION) -> list:
    """The models whose rows the backup holds, in an order that restores without dangling keys."""
    terms = [Source, Subject, ItemType, Organization]
    content = [*terms, Article, ArticleSubject, ArticleOrganization, FormerSlug]
    if version >= 2:
        content += [Capture, LinkCheck, LinkState]
    history = [model.history.model for model in (*terms, Article)]
    link_history = [getattr(Article.history.model, name).model for name in ("subjects", "organizations")]
    return content + history + link_history


def _label(model) -> str:
    return model._meta.label_lower


def _fields(model) -> list:
    excluded = DERIVED_FIELDS.get(model, set())
    return [field for field in model._meta.concrete_fields if field.name not in excluded]


def describe(version: int = VERSION) -> dict:
    """Each record type and its fields, as the header states them."""
    description = {
        "auth.group": ["name", "permissions"],
        _label(get_user_model()): [*USER_FIELDS, "groups", "user_permissions"],
    }
    for model in archive_models(version):
        description[_label(model)] = [field.attname for field in _fields(model)]
    if version >= 2:
        description[_label(Capture)].append(WARC_DATA)
    return description


# --- Export ---------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        # JSON objects in key order: PostgreSQL's jsonb keeps its own order, SQLite the one written.
        return {key: _value(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


def _line(label: str, fields: dict) -> str:
    return json.dumps({"model": label, "fields": fields}, ensure_ascii=False, separators=(",", ":")) + "\n"


def _permission_names(permissions) -> list:
    return sorted(f"{app_label}.{codename}" for app_label, codename in permissions)


def _still_there(capture_id: int, own_snapshot: bool) -> bool:
    """Whether the capture's row is still in the database now, outside the export's snapshot."""
    if not own_snapshot:
        return Capture._base_manager.filter(pk=capture_id).exists()
    # The snapshot still shows the row: ask on a connection of its own, which sees what is committed.
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {other.ops.quote_name(Capture._meta.db_table)} WHERE id = %s", [capture_id])
            return cursor.fetchone() is not None
    finally:
        other.close()


def _capture_lines(own_snapshot: bool):
    """Each capture's record with its WARC file, read from storage a piece at a time.

    The file is checked against the record's digest as it streams; a file missing from
    storage, or differing from its digest, stops the backup (a BackupError), except for a
    capture deleted after the snapshot was taken, whose file went with it: it is left out.
    """
    storage = Capture._meta.get_field("warc").storage
    label = _label(Capture)
    names = [field.attname for field in _fields(Capture)]
    rows = Capture._base_manager.order_by("pk").values_list(*names).iterator(chunk_size=BATCH_SIZE)
    # Closed on the way out, also when a file stops the backup: its cursor closes while the connection is open.
    with closing(rows):
        for values in rows:
            fields = {name: _value(value) for name, value in zip(names, values, strict=True)}
            try:
                stream = storage.open(fields["warc"], "rb")
            except FileNotFoundError:
                if not _still_there(fields["id"], own_snapshot):
                    continue
                raise BackupError(
                    f"Capture {fields['id']}'s WARC file, {fields['warc']}, is missing from storage. "
                    "Put the file back, or delete the capture, then back up again."
                ) from None
            except OSError as error:
                raise BackupError(
                    f"Capture {fields['id']}'s WARC file, {fields['warc']}, cannot be read from storage: "
                    f"{error.strerror or error}."
                ) from None
            digest = hashlib.sha256()
            with stream:
                yield _line(label, {**fields, WARC_DATA: ""}).removesuffix('""}}\n') + '"'
                while chunk := stream.read(WARC_CHUNK):
                    digest.update(chunk)
                    yield base64.b64encode(chunk).decode("ascii")
            if digest.hexdigest() != fields["warc_sha256"]:
                raise BackupError(
                    f"Capture {fields['id']}'s WARC file, {fields['warc']}, differs from its SHA-256 "
                    f"({fields['warc_sha256']}): the file in storage was altered or damaged."
                )
            yield '"}}\n'


def export_lines(own_snapshot: bool = False):
    """The backup file, line by line; a capture's line comes in pieces, the last ending it."""
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
        if model is Capture:
            yield from _capture_lines(own_snapshot)
            continue
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

    Inside a transaction already open (a test's), the reads belong to that one. Yields whether
    the snapshot is its own (other connections then see what is committed after it).
    """
    if connection.in_atomic_block:
        yield False
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield True


def export_archive(stream) -> int:
    """Write the backup to a text stream, read in one snapshot; returns the number of records."""
    count = -1  # the header is not a record
    with one_snapshot() as own_snapshot, closing(export_lines(own_snapshot)) as pieces:
        for piece in pieces:
            stream.write(piece)
            count += piece.endswith("\n")
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


def _header(lines) -> tuple[int, dict]:
    """Check the backup's first line; its version, and the record types and fields it names."""
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        raise BackupError("This is not an archive backup: its first line is not the backup's header.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not an archive backup made by manage.py export_archive.")
    version = header.get("version")
    if type(version) is not int or not OLDEST_VERSION <= version <= VERSION:
        newer = (
            " (made by a newer version of the archive: restore it with that one)"
            if type(version) is int and version > VERSION
            else ""
        )
        raise BackupError(
            f"This backup has version {version}{newer}; this archive restores versions {OLDEST_VERSION} to {VERSION}."
        )
    description = describe(version)
    if header.get("models") != description:
        raise BackupError(
            "This backup was made by a version of the archive whose data differs from this one's "
            "(the record types or their fields are not the same). Restore it with the version that made it."
        )
    return version, description


def _read(lines, description):
    """Yield (line number, record type, fields) for each record after the header.

    Each line must be a whole record of a type the header names, with exactly its fields, in
    the header's order of types; a line without its newline is where a copy was cut short.
    """
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

    def __init__(self, restorable, *, dry_run=False):
        self.dry_run = dry_run
        self.storage = Capture._meta.get_field("warc").storage
        # The WARC files this restore put in storage: removed again if it fails.
        self.written = []
        self.file_names = set()
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
        if model is Capture:
            self.warc(number, values, fields)
        instance = model(**values)
        if model is Article:
            instance.original_url_normalized = normalize_url(instance.original_url)
        if not self.pending:
            self.pending_from = number
        self.pending.append(instance)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def warc(self, number, values, fields):
        """The capture's WARC file from the record, checked against its digest, then put in storage.

        A file that storage already holds under the same name is left as it is when it is the
        same file, and refused when it differs: a restore overwrites nothing.
        """
        capture, name, expected = values["id"], values["warc"], values["warc_sha256"]
        data = fields.get(WARC_DATA)
        if not data or not isinstance(data, str):
            raise BackupError(
                f"Line {number:,}: capture {capture}'s WARC file, {name}, is missing from the backup "
                f"(its {WARC_DATA} is {data!r})."
            )
        try:
            validate_file_name(name, allow_relative_path=True)
        except (SuspiciousFileOperation, TypeError):
            name = None
        if not name or name in self.file_names:
            raise BackupError(
                f"Line {number:,} of the backup is damaged: capture {capture}'s WARC file name "
                f"{values['warc']!r} is not a file name of its own in storage."
            )
        self.file_names.add(name)
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise BackupError(
                f"Line {number:,} of the backup is damaged: capture {capture}'s WARC file, {name}, is not base64."
            ) from None
        if hashlib.sha256(content).hexdigest() != expected:
            raise BackupError(
                f"Line {number:,}: capture {capture}'s WARC file, {name}, differs from its SHA-256 ({expected}): "
                "the file in the backup was altered or damaged."
            )
        try:
            self._store(number, capture, name, content, expected)
        except OSError as error:
            raise BackupError(
                f"Line {number:,}: capture {capture}'s WARC file cannot be stored at {name}: {error.strerror or error}."
            ) from None

    def _store(self, number, capture, name, content, expected):
        if self.storage.exists(name):
            digest = hashlib.sha256()
            with self.storage.open(name, "rb") as present:
                while chunk := present.read(WARC_CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() == expected:
                return  # the very file, already there (e.g. the database was lost, the files were not)
            raise BackupError(
                f"Line {number:,}: storage already holds a different file at {name}, where capture {capture}'s "
                "WARC file goes. A restore overwrites nothing: restore into empty storage, or move that file away."
            )
        if self.dry_run:
            return
        saved = self.storage.save(name, ContentFile(content))
        self.written.append(saved)
        if saved != name:  # another file took the name meanwhile: storage renamed this one
            raise BackupError(
                f"Line {number:,}: storage already holds a file at {name}, where capture {capture}'s WARC file goes."
            )

    def remove_written(self):
        for name in self.written:
            self.storage.delete(name)
        self.written.clear()

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

    Every reason the file cannot be restored is a BackupError, and nothing is written: neither
    in the database nor in storage (WARC files written before the restore failed are removed).
    """
    restore = _Restore(archive_models(), dry_run=dry_run)
    try:
        return _import(iter(lines), restore, dry_run)
    except BaseException:
        restore.remove_written()
        raise


def _import(lines, restore, dry_run):
    restorable = list(restore.by_label.values())
    User = get_user_model()
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
            _version, description = _header(lines)
            with _timestamps_as_given(restorable):
                for number, label, fields in _read(lines, description):
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
