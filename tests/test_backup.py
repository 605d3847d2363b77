"""Backup and restore: export_archive → a new database → import_archive → export_archive is byte-identical."""

import base64
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from coverage_archive import backup
from coverage_archive.backup import FORMAT, VERSION, BackupError, archive_models, export_archive, import_archive
from coverage_archive.models import Article, FormerSlug
from coverage_archive.preservation.checking import Result, store
from coverage_archive.preservation.models import Capture, LinkCheck, LinkOutcome, LinkState
from tests.captures import synthetic_capture
from tests.csv_files import csv_bytes, synthetic_row
from tests.factories import ArticleFactory, UserFactory


@pytest.fixture
def rich_archive(seed, tmp_path, client):
    """The seed, the example import, edits through the admin, a withdrawal, a renamed article and accounts."""
    editor = UserFactory(username="synthetic-editor", first_name="Synthetic", email="editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    example = settings.BASE_DIR / "fixtures" / "import-example.csv"
    call_command("import_coverage", str(example), "--create-terms", "--user", editor.username, verbosity=0)
    client.force_login(editor)
    drafts = list(Article.objects.filter(status=Article.Status.DRAFT).order_by("pk"))
    client.post("/admin/coverage_archive/article/", {"action": "publish", "_selected_action": [drafts[0].pk]})
    client.post("/admin/coverage_archive/article/", {"action": "withdraw", "_selected_action": [drafts[1].pk]})
    renamed = Article.objects.get(pk=drafts[0].pk)
    renamed.slug = "synthetic-renamed-article"
    renamed.save()
    path = tmp_path / "more.csv"
    path.write_bytes(csv_bytes([synthetic_row(n, body="Línea «uno»\r\n\r\n=SUM(A1)") for n in (1, 10, 11, 12)]))
    call_command("import_coverage", str(path), "--create-terms", verbosity=0)
    assert FormerSlug.objects.exists()
    return editor


@pytest.fixture
def media(settings, tmp_path):
    """A storage folder of the test's own, empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> dict:
    """Each file in a storage folder, by its name in storage, with its SHA-256."""
    media = Path(media)
    return {
        path.relative_to(media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media.rglob("*"))
        if path.is_file()
    }


def add_preservation(first, second, user=None):
    """Captures (real WARC files, one a proposal no draft was made of yet), link checks and link states."""
    synthetic_capture(first, number=1, user=user)
    synthetic_capture(second, number=2)
    synthetic_capture(None, number=3, user=user)
    checked = datetime.datetime(2025, 4, 1, 8, 0, 0, 250000, tzinfo=datetime.UTC)
    old, new = "https://example.org/synthetic-ledger/old", "https://example.org/synthetic-ledger/new"
    store(Result(first.pk, old, checked, LinkOutcome.FAILING, method="GET", detail="Synthetic time-out"))
    store(
        Result(
            first.pk,
            old,
            checked + datetime.timedelta(days=7),
            LinkOutcome.MOVED,
            status_code=200,
            final_url=new,
            redirects=[[301, old, new]],
            proposed_url=new,
        )
    )
    store(Result(second.pk, new, checked, LinkOutcome.FINE, status_code=200))


@pytest.fixture
def preserved_archive(rich_archive, media):
    """The rich archive with captures, link checks and link states."""
    first, second = Article.objects.order_by("pk")[:2]
    add_preservation(first, second, user=rich_archive)
    return rich_archive


def export_text() -> str:
    stream = io.StringIO()
    export_archive(stream)
    return stream.getvalue()


def test_the_export_is_deterministic_and_holds_no_export_time(preserved_archive):
    first, second = export_text(), export_text()

    assert first == second
    header = json.loads(first.splitlines()[0])
    assert header["format"] == FORMAT and header["version"] == VERSION
    assert set(header) == {"format", "version", "models"}


def test_the_export_holds_everything_but_derived_columns_and_passwords(rich_archive):
    records = [json.loads(line) for line in export_text().splitlines()[1:]]
    by_model = {}
    for record in records:
        by_model.setdefault(record["model"], []).append(record["fields"])

    assert len(by_model["coverage_archive.article"]) == Article.objects.count()
    assert len(by_model["coverage_archive.historicalarticle"]) == Article.history.count()
    assert by_model["coverage_archive.formerslug"][0]["slug"]
    article = by_model["coverage_archive.article"][0]
    assert not {"search_text", "search_vector", "original_url_normalized"} & set(article)
    users = {user["username"]: user for user in by_model["auth.user"]}
    assert users["synthetic-editor"]["groups"] == ["Editors"]
    assert "password" not in users["synthetic-editor"]


def test_restoring_into_a_database_that_is_not_empty_is_refused(rich_archive):
    with pytest.raises(BackupError, match="Restore needs an empty archive"):
        import_archive(io.StringIO(export_text()))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "its first line is not the backup's header"),
        ("title,source\n", "its first line is not the backup's header"),
        ('{"format": "something-else"}\n', "This is not an archive backup"),
        (json.dumps({"format": FORMAT, "version": 99}) + "\n", "This backup has version 99"),
        (
            json.dumps({"format": FORMAT, "version": VERSION + 1}) + "\n",
            rf"This backup has version {VERSION + 1} \(made by a newer version of the archive: restore it with that "
            rf"one\); this archive restores versions 1 to {VERSION}\.",
        ),
        (json.dumps({"format": FORMAT, "version": "2"}) + "\n", "This backup has version 2; this archive restores"),
        (json.dumps({"format": FORMAT, "version": VERSION, "models": {}}) + "\n", "whose data differs"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path, content, message):
    path = tmp_path / "backup.jsonl"
    path.write_text(content)

    with pytest.raises(CommandError, match=message):
        call_command("import_archive", str(path), verbosity=0)


def test_a_damaged_line_is_reported_with_its_number(db):
    header = export_text().splitlines(keepends=True)[0]

    with pytest.raises(BackupError, match="Line 3 of the backup is damaged"):
        import_archive(
            io.StringIO(
                header + '{"model": "auth.group", "fields": {"name": "Synthetic", "permissions": []}}\n' + "{not json\n"
            )
        )

    assert not Group.objects.filter(name="Synthetic").exists()  # all or nothing


# --- Files that cannot be restored: one plain message each, and nothing written ---------------------


@pytest.fixture
def seed_backup(db):
    """The seed archive's backup as lines, the database left empty again."""
    with transaction.atomic():
        call_command("load_seed_archive", verbosity=0)
        lines = export_text().splitlines(keepends=True)
        transaction.set_rollback(True)
    return lines


def line_of(lines, model, number=0):
    """The index in `lines` of the model's first (or number-th) record."""
    return [index for index, line in enumerate(lines) if json.loads(line).get("model") == model][number]


def changed(lines, model, **fields):
    """The lines with the model's first record's fields changed."""
    index = line_of(lines, model)
    record = json.loads(lines[index])
    record["fields"].update(fields)
    return [*lines[:index], json.dumps(record) + "\n", *lines[index + 1 :]]


def without(lines, model):
    return [line for line in lines if json.loads(line).get("model") != model]


def archive_is_empty():
    return not any(model._base_manager.exists() for model in [get_user_model(), *archive_models()])


BROKEN_BACKUPS = {
    "a link to an article the file lacks": (
        lambda lines: without(lines, "coverage_archive.article"),
        r"Line 19: article subject 1 refers to article 1 \(its article_id\), which the backup does not hold\. "
        r"The backup is inconsistent; take a new one",
    ),
    "a file cut off in mid-line": (
        lambda lines: [*lines[:-1], lines[-1][:40]],
        r"Line 28, the last, stops short of its end: the backup is incomplete",
    ),
    "a line that is not JSON": (
        lambda lines: [*lines[:5], '{"model": "coverage_archive.source", "fields": {"id": 1,\n', *lines[6:]],
        r"Line 6 of the backup is damaged: it is not JSON\.",
    ),
    "a line that is not a record": (
        lambda lines: [*lines[:5], "[1, 2]\n", *lines[6:]],
        r"Line 6 of the backup is damaged: it is not a record",
    ),
    "a record lacking a field": (
        lambda lines: [
            line.replace('"slug":', '"slog":') if '"coverage_archive.article"' in line else line for line in lines
        ],
        r"Line 19 of the backup is damaged: its coverage_archive.article record lacks slug and has slog, "
        r"which the header does not name\.",
    ),
    "a value of the wrong kind": (
        lambda lines: changed(lines, "coverage_archive.article", publication_date="last spring"),
        r"Line 19 of the backup is damaged: the coverage_archive.article record's publication_date is "
        r"'last spring', which it cannot be",
    ),
    "a time without its offset": (
        lambda lines: changed(lines, "coverage_archive.article", created_at="2024-01-02T03:04:05"),
        r"created_at is '2024-01-02T03:04:05', which it cannot be \(not a date and time with its UTC offset\)",
    ),
    "a record twice": (
        lambda lines: [*lines[:3], lines[2], *lines[3:]],
        r"Line 4 of the backup holds a second source 1; each comes once\.",
    ),
    "records out of order": (
        lambda lines: [*lines[:19], *lines[20:], lines[19]],
        r"Line 28 of the backup is out of order: a coverage_archive.articlesubject record after the "
        r"coverage_archive.articleorganization records",
    ),
    "a rule only the database knows": (
        lambda lines: changed(lines, "coverage_archive.article", status="published", published_at=None),
        r"Line 19: the database refused this article: .*article_published_has_published_at",
    ),
    "two articles at one address": (
        lambda lines: [*lines[:19], lines[18].replace('"id":1,', '"id":2,', 1), *lines[19:]],
        r"Lines 19 to 20: the database refused these articles: .*(UNIQUE|unique).*slug",
    ),
}


@pytest.mark.parametrize("damage", BROKEN_BACKUPS)
def test_a_backup_that_cannot_be_restored_is_refused_in_plain_words_and_nothing_is_written(
    seed_backup, tmp_path, damage
):
    break_it, message = BROKEN_BACKUPS[damage]
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(break_it(seed_backup)), encoding="utf-8")

    with pytest.raises(CommandError, match=message) as refused:
        call_command("import_archive", str(path), verbosity=0)

    assert str(refused.value).endswith(" Nothing was restored.")
    assert archive_is_empty()


def test_a_reference_no_check_foresaw_is_still_refused_before_anything_is_kept(seed_backup, tmp_path, monkeypatch):
    # Take away the file's own reference check: the database's, inside the restore's
    # transaction (PostgreSQL would otherwise only check at commit), still names the row.
    monkeypatch.setattr(backup._Restore, "_references", lambda self, model: [])
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(without(seed_backup, "coverage_archive.article")), encoding="utf-8")

    with pytest.raises(CommandError, match=r"The backup refers to records it does not hold: .*article"):
        call_command("import_archive", str(path), "--dry-run", verbosity=0)

    assert archive_is_empty()


# --- Captures and their WARC files -----------------------------------------------------------------


@pytest.fixture
def capture_backup(db, media):
    """A backup of the seed with captures, link checks and link states, as lines, with the captures'
    files by name; the database and the storage folder are left empty again."""
    with transaction.atomic():
        call_command("load_seed_archive", verbosity=0)
        article = Article.objects.get()
        add_preservation(article, ArticleFactory(title="Synthetic Source 3 piece", slug="synthetic-source-3-piece"))
        lines = export_text().splitlines(keepends=True)
        files = {name: (media / name).read_bytes() for name in stored_files(media)}
        transaction.set_rollback(True)
    shutil.rmtree(media)
    assert len(files) == 3
    return lines, files


def capture_record(lines, number=0):
    return json.loads(lines[line_of(lines, "preservation.capture", number)])["fields"]


def written(lines, tmp_path, name="backup.jsonl"):
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_the_backup_holds_every_capture_with_its_file_and_the_link_history(capture_backup):
    lines, files = capture_backup
    records = [json.loads(line) for line in lines[1:]]
    captures = [record["fields"] for record in records if record["model"] == "preservation.capture"]
    checks = [record["fields"] for record in records if record["model"] == "preservation.linkcheck"]
    states = [record["fields"] for record in records if record["model"] == "preservation.linkstate"]

    # The proposal no draft was made of yet is kept too.
    assert [capture["article_id"] is None for capture in captures] == [False, False, True]
    for capture in captures:
        data = base64.b64decode(capture[backup.WARC_DATA], validate=True)
        assert data == files[capture["warc"]]
        assert hashlib.sha256(data).hexdigest() == capture["warc_sha256"]
    assert [check["outcome"] for check in checks] == ["failing", "moved", "fine"]
    assert checks[1]["redirects"] == [[301, "https://example.org/synthetic-ledger/old", checks[1]["final_url"]]]
    assert sorted((state["outcome"], state["proposed_url"]) for state in states) == [
        ("fine", ""),
        ("moved", "https://example.org/synthetic-ledger/new"),
    ]


def test_captures_restore_with_byte_identical_files_and_digests(capture_backup, media, tmp_path):
    lines, files = capture_backup

    call_command("import_archive", str(written(lines, tmp_path)), verbosity=0)

    assert {name: (media / name).read_bytes() for name in stored_files(media)} == files
    for capture in Capture.objects.all():
        with capture.warc.open("rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == capture.warc_sha256
    assert LinkCheck.objects.count() == 3
    assert LinkState.objects.get(outcome=LinkOutcome.MOVED).proposed_url == "https://example.org/synthetic-ledger/new"
    assert export_text() == "".join(lines)


def altered(lines, number, change):
    """The lines with the number-th capture's embedded file changed by change(bytes)."""
    index = line_of(lines, "preservation.capture", number)
    record = json.loads(lines[index])
    data = base64.b64decode(record["fields"][backup.WARC_DATA])
    record["fields"][backup.WARC_DATA] = base64.b64encode(change(data)).decode()
    return [*lines[:index], json.dumps(record) + "\n", *lines[index + 1 :]]


def capture_line(lines, number):
    return line_of(lines, "preservation.capture", number) + 1


def refusal(lines, number, what, damaged=False):
    """The start of the message refusing the number-th capture's line."""
    record = capture_record(lines, number)
    where = f"Line {capture_line(lines, number)}" + (" of the backup is damaged" if damaged else "")
    return rf"{where}: capture {record['id']}'s WARC file{what}"


BROKEN_CAPTURES = {
    # The first capture's file is written to storage before the second's is found wrong: it goes again.
    "a WARC file altered in the backup": (
        lambda lines: altered(lines, 1, lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:]),
        lambda lines: (
            refusal(lines, 1, f", {re.escape(capture_record(lines, 1)['warc'])}, differs from its SHA-256 ")
            + rf"\({capture_record(lines, 1)['warc_sha256']}\): the file in the backup was altered or damaged\."
        ),
    ),
    "a WARC file cut short in the backup": (
        lambda lines: altered(lines, 2, lambda data: data[:-10]),
        lambda lines: refusal(lines, 2, ", .*, differs from its SHA-256"),
    ),
    "a WARC file missing from the backup": (
        lambda lines: changed_capture(lines, 1, **{backup.WARC_DATA: ""}),
        lambda lines: refusal(lines, 1, f", {re.escape(capture_record(lines, 1)['warc'])}, is missing from the backup"),
    ),
    "a WARC file that is not base64": (
        lambda lines: changed_capture(lines, 1, **{backup.WARC_DATA: "not base64!"}),
        lambda lines: refusal(lines, 1, r", .*, is not base64\.", damaged=True),
    ),
    "a WARC file named outside storage": (
        lambda lines: changed_capture(lines, 1, warc="../../outside.warc.gz"),
        lambda lines: refusal(
            lines, 1, r" name '../../outside.warc.gz' is not a file name of its own in storage\.", damaged=True
        ),
    ),
    "two captures naming one file": (
        lambda lines: changed_capture(lines, 1, warc=capture_record(lines, 0)["warc"]),
        lambda lines: refusal(lines, 1, " name", damaged=True),
    ),
    "a damaged record after the files": (
        lambda lines: changed(lines, "preservation.linkcheck", checked_at="last week"),
        lambda lines: (
            rf"Line {line_of(lines, 'preservation.linkcheck') + 1} of the backup is damaged: "
            r"the preservation.linkcheck record's checked_at is 'last week'"
        ),
    ),
    "the database refusing a record after the files": (
        lambda lines: changed(lines, "preservation.linkstate", failures_in_a_row=-1),
        lambda lines: r"the database refused these link states: .*failures_in_a_row",
    ),
}


def changed_capture(lines, number, **fields):
    index = line_of(lines, "preservation.capture", number)
    record = json.loads(lines[index])
    record["fields"].update(fields)
    return [*lines[:index], json.dumps(record) + "\n", *lines[index + 1 :]]


@pytest.mark.parametrize("damage", BROKEN_CAPTURES)
def test_a_capture_that_cannot_be_restored_is_refused_and_nothing_is_written_nor_stored(
    capture_backup, media, tmp_path, damage
):
    lines, _files = capture_backup
    break_it, message = BROKEN_CAPTURES[damage]

    with pytest.raises(CommandError, match=message(lines)) as refused:
        call_command("import_archive", str(written(break_it(lines), tmp_path)), verbosity=0)

    assert str(refused.value).endswith(" Nothing was restored.")
    assert archive_is_empty()
    assert stored_files(media) == {}
    assert not (tmp_path / "outside.warc.gz").exists()


def test_a_restore_overwrites_no_file_already_in_storage_and_keeps_the_very_same_one(capture_backup, media, tmp_path):
    lines, files = capture_backup
    same, other = capture_record(lines, 0)["warc"], capture_record(lines, 1)["warc"]
    for name, content in ((same, files[same]), (other, b"Another synthetic file")):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)
    before = stored_files(media)

    with pytest.raises(
        CommandError,
        match=rf"Line {capture_line(lines, 1)}: storage already holds a different file at {re.escape(other)}, "
        rf"where capture {capture_record(lines, 1)['id']}'s WARC file goes\. A restore overwrites nothing",
    ):
        call_command("import_archive", str(written(lines, tmp_path)), verbosity=0)

    assert stored_files(media) == before
    assert archive_is_empty()

    # With the other file moved away, the restore goes through and keeps the identical file where it is.
    (media / other).unlink()
    call_command("import_archive", str(written(lines, tmp_path)), verbosity=0)
    assert {name: (media / name).read_bytes() for name in stored_files(media)} == files


def test_storage_that_cannot_take_a_file_is_a_plain_refusal(capture_backup, media, tmp_path):
    lines, _files = capture_backup
    media.mkdir()
    (media / "captures").write_text("A file where the captures' folder goes.")

    with pytest.raises(
        CommandError,
        match=rf"{refusal(lines, 0, '')} cannot be stored at {re.escape(capture_record(lines, 0)['warc'])}: ",
    ):
        call_command("import_archive", str(written(lines, tmp_path)), verbosity=0)

    assert archive_is_empty()
    assert list(stored_files(media)) == ["captures"]


def test_a_dry_run_checks_the_files_and_stores_none(capture_backup, media, tmp_path):
    lines, _files = capture_backup

    call_command("import_archive", str(written(lines, tmp_path)), "--dry-run", verbosity=0)
    assert stored_files(media) == {} and archive_is_empty()

    with pytest.raises(CommandError, match="differs from its SHA-256"):
        call_command(
            "import_archive",
            str(written(altered(lines, 0, lambda data: data[::-1]), tmp_path)),
            "--dry-run",
            verbosity=0,
        )


def test_a_version_1_backup_still_restores(seed_backup, tmp_path):
    # Version 1, as it was written before captures and link checks: no record types of theirs.
    header = json.loads(seed_backup[0])
    header["version"] = 1
    header["models"] = {
        label: fields for label, fields in header["models"].items() if not label.startswith("preservation.")
    }
    assert len(header["models"]) == len(json.loads(seed_backup[0])["models"]) - 3
    old = tmp_path / "version-1.jsonl"
    old.write_text(json.dumps(header) + "\n" + "".join(seed_backup[1:]), encoding="utf-8")

    call_command("import_archive", str(old), verbosity=0)

    assert Article.objects.count() == 1
    assert export_text().splitlines(keepends=True)[1:] == seed_backup[1:]


def test_a_version_1_backup_holding_a_capture_is_refused(capture_backup, tmp_path):
    lines, _files = capture_backup
    header = json.loads(lines[0])
    header["version"] = 1
    header["models"] = {
        label: fields for label, fields in header["models"].items() if not label.startswith("preservation.")
    }
    index = line_of(lines, "preservation.capture")

    with pytest.raises(CommandError, match=rf"Line {index + 1} of the backup holds a record of an unknown type"):
        call_command("import_archive", str(written([json.dumps(header) + "\n", *lines[1:]], tmp_path)), verbosity=0)
    assert archive_is_empty()


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_an_export_stops_at_a_capture_file_missing_or_altered_in_storage(db, media, tmp_path, damage):
    capture = synthetic_capture(ArticleFactory())
    path = media / capture.warc.name
    if damage == "missing":
        path.unlink()
        message = rf"Capture {capture.pk}'s WARC file, {re.escape(capture.warc.name)}, is missing from storage\."
    else:
        path.write_bytes(path.read_bytes() + b"\0")
        message = (
            rf"Capture {capture.pk}'s WARC file, {re.escape(capture.warc.name)}, differs from its SHA-256 "
            rf"\({capture.warc_sha256}\): the file in storage was altered or damaged\. No backup was written\."
        )
    out = tmp_path / "backup.jsonl"

    with pytest.raises(CommandError, match=message):
        call_command("export_archive", str(out), verbosity=0)

    assert list(tmp_path.glob("backup.jsonl*")) == []


# --- The round trip through real commands and fresh databases -----------------------------------


def environment_of(database_url, media=None):
    """A process's environment for the database, and for the storage folder, if given."""
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test"}
    if media is not None:
        environment["KYR_TEST_MEDIA_ROOT"] = str(media)
    return environment


def run_python(database_url, *args, media=None, timeout=600):
    """Python in a process of its own on the database (and storage folder): its exit status and output."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment_of(database_url, media),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def manage(database_url, *args, media=None):
    result = run_python(database_url, "manage.py", *args, media=media)
    assert result.returncode == 0, result.stderr
    return result.stdout


class FreshDatabase:
    """A new, migrated database of either kind, dropped afterwards, with a storage folder of its own."""

    def __init__(self, vendor, tmp_path, name):
        self.vendor = vendor
        self.media = tmp_path / f"{name}-media"
        if vendor == "sqlite":
            self.url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        else:
            base = connection.settings_dict
            self.name = f"{base['NAME']}_{name}"[:63]
            self.admin = {"dbname": "postgres", "host": base["HOST"], "port": base["PORT"] or 5432}
            self.admin.update({key: base[key.upper()] for key in ("user", "password") if base.get(key.upper())})
            credentials = base["USER"] + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
            self.url = f"postgres://{credentials}@{base['HOST']}:{base['PORT'] or 5432}/{self.name}"

    def _postgres(self, statement):
        import psycopg

        with psycopg.connect(**self.admin, autocommit=True) as admin:
            admin.execute(statement)

    def __enter__(self):
        if self.vendor == "postgresql":
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._postgres(f'CREATE DATABASE "{self.name}"')
        self.manage("migrate", "--noinput", "--verbosity", "0")
        return self

    @contextmanager
    def copy(self, tmp_path, name):
        """Another fresh database, made as a copy of this one while it is still fresh: quicker than migrating."""
        copy = FreshDatabase(self.vendor, tmp_path, name)
        if self.vendor == "sqlite":
            shutil.copyfile(self.url.removeprefix("sqlite:///"), copy.url.removeprefix("sqlite:///"))
        else:
            copy._postgres(f'DROP DATABASE IF EXISTS "{copy.name}"')
            copy._postgres(f'CREATE DATABASE "{copy.name}" TEMPLATE "{self.name}"')
        try:
            yield copy
        finally:
            copy.__exit__()

    def __exit__(self, *exc):
        if self.vendor == "postgresql":
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def manage(self, *args):
        return manage(self.url, *args, media=self.media)

    def run_python(self, *args, timeout=600):
        return run_python(self.url, *args, media=self.media, timeout=timeout)

    def restore_and_export(self, backup, out):
        self.manage("import_archive", str(backup), "--verbosity", "0")
        self.manage("export_archive", str(out), "--verbosity", "0")
        return out.read_bytes()


def targets():
    # PostgreSQL targets when this run is on PostgreSQL (make test runs the suite on both).
    return ["sqlite", "postgresql"] if connection.vendor == "postgresql" else ["sqlite"]


def test_export_restore_export_is_byte_identical_across_databases(preserved_archive, media, tmp_path):
    original = tmp_path / "original.jsonl"
    call_command("export_archive", str(original), verbosity=0)
    expected = original.read_bytes()

    # The test database (SQLite or PostgreSQL) → each kind of fresh database → back, chained, so a
    # PostgreSQL run also crosses SQLite → PostgreSQL.
    current = original
    for step, vendor in enumerate([*targets(), *targets()[1:]]):
        with FreshDatabase(vendor, tmp_path, f"restore{step}") as database:
            out = tmp_path / f"step{step}-{vendor}.jsonl"
            assert database.restore_and_export(current, out) == expected, f"{vendor} changed the backup"
            # Every capture's WARC file is back, byte for byte, under its own name.
            assert len(stored_files(media)) == 3
            assert stored_files(database.media) == stored_files(media)
            # The sequences moved past the restored ids: new coverage gets fresh ones.
            more = tmp_path / "new.csv"
            more.write_bytes(csv_bytes([synthetic_row(900)]))
            database.manage("import_coverage", str(more), "--create-terms", "--verbosity", "0")
        current = out


# --- A backup taken while editors work ------------------------------------------------------------

# An editor at work, in its own process and connection: article after article with subject and
# organization links, a capture (its WARC file in storage) and a link check, each committed (with its
# history) before the next, until the stop file appears; and at each even piece the capture of the
# even piece before is deleted (its file goes once that commits), so captures in the backup's snapshot vanish.
WRITER = """
import sys
from pathlib import Path

import django

django.setup()
from django.db import transaction
from django.utils import timezone

from coverage_archive.models import Article, ItemType, Organization, Source, Subject
from coverage_archive.preservation.checking import Result, store
from coverage_archive.preservation.models import Capture
from tests.captures import synthetic_capture

stop = Path(sys.argv[1])
source, item_type = Source.objects.order_by("pk").first(), ItemType.objects.order_by("pk").first()
subjects = list(Subject.objects.order_by("pk")[:2])
organizations = list(Organization.objects.order_by("pk")[:3])
number = 0
while not stop.exists():
    number += 1
    with transaction.atomic():
        article = Article.objects.create(
            title=f"Synthetic piece written during the backup {number}",
            slug=f"synthetic-written-during-backup-{number}",
            source=source,
            item_type=item_type,
            status=Article.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        article.subjects.add(*subjects)
        article.organizations.add(*organizations)
        # With its capture, in one commit: a snapshot holds both or neither.
        synthetic_capture(article, number=number)
    url = f"https://example.org/synthetic-ledger/piece-{number}"
    store(Result(article.pk, url, timezone.now(), "fine", status_code=200))
    if number > 2 and number % 2 == 0:
        Capture.objects.filter(article__slug=f"synthetic-written-during-backup-{number - 2}").delete()
    if number == 3:
        print("at work", flush=True)
print(number)
"""


# Each reference a backup's records make to another record of the backup: (record type, field) →
# (record type, its key field).
REFERENCES = {
    ("coverage_archive.article", "source_id"): ("coverage_archive.source", "id"),
    ("coverage_archive.article", "item_type_id"): ("coverage_archive.itemtype", "id"),
    **{("coverage_archive.article", f"{name}_by_id"): ("auth.user", "id") for name in ("created", "updated")},
    **{
        (f"coverage_archive.article{name}", "article_id"): ("coverage_archive.article", "id")
        for name in ("subject", "organization")
    },
    ("coverage_archive.articlesubject", "subject_id"): ("coverage_archive.subject", "id"),
    ("coverage_archive.articleorganization", "organization_id"): ("coverage_archive.organization", "id"),
    ("coverage_archive.formerslug", "article_id"): ("coverage_archive.article", "id"),
    **{
        (f"preservation.{name}", "article_id"): ("coverage_archive.article", "id")
        for name in ("capture", "linkcheck", "linkstate")
    },
    ("preservation.capture", "created_by_id"): ("auth.user", "id"),
    **{
        (f"coverage_archive.historical{name}", "history_user_id"): ("auth.user", "id")
        for name in ("source", "subject", "itemtype", "organization", "article")
    },
    **{
        (f"coverage_archive.historicalarticle{name}", "history_id"): (
            "coverage_archive.historicalarticle",
            "history_id",
        )
        for name in ("subject", "organization")
    },
}


def dangling_references(path) -> list:
    """Each reference of the backup to a record the backup does not hold."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    keys = {target: set() for target in REFERENCES.values()}
    for record in records:
        for name, value in record["fields"].items():
            if (record["model"], name) in keys:
                keys[record["model"], name].add(value)
    return [
        f"{record['model']} {name}={value}"
        for record in records
        for name, value in record["fields"].items()
        if (target := REFERENCES.get((record["model"], name))) and value is not None and value not in keys[target]
    ]


# The run's own kind of database; SQLite both in its default rollback-journal mode (the writer waits
# for the backup's read to end) and in WAL mode (the writer goes on; the backup reads its snapshot).
BUSY_KINDS = ["postgresql"] if connection.vendor == "postgresql" else ["sqlite-rollback-journal", "sqlite-wal"]


@pytest.fixture(scope="module")
def fresh_database(tmp_path_factory):
    """A fresh database of the run's kind, made once for the module; tests work on copies of it."""
    with FreshDatabase(connection.vendor, tmp_path_factory.mktemp("databases"), "fresh") as fresh:
        yield fresh


@pytest.fixture(scope="module")
def seeded_database(fresh_database, tmp_path_factory):
    """A copy of the fresh database holding 800 synthetic articles; tests work on copies of it."""
    with fresh_database.copy(tmp_path_factory.mktemp("databases"), "seeded") as seeded:
        seeded.manage("seed_synthetic", "--articles", "800", "--organizations", "50", "--verbosity", "0")
        yield seeded


@pytest.mark.parametrize("kind", BUSY_KINDS)
def test_a_backup_taken_while_an_editor_writes_restores_whole(fresh_database, seeded_database, tmp_path, kind):
    with seeded_database.copy(tmp_path, "busy") as busy, fresh_database.copy(tmp_path, "restored") as restored:
        if kind == "sqlite-wal":
            with sqlite3.connect(busy.url.removeprefix("sqlite:///")) as database:
                assert database.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        environment = environment_of(busy.url, busy.media)
        stop = tmp_path / "stop"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stop)],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # The editor has saved a few pieces before the backup starts.
            assert writer.stdout.readline() == "at work\n", writer.stderr.read()
            backup = tmp_path / "busy.jsonl"
            busy.manage("export_archive", str(backup), "--verbosity", "0")
        finally:
            stop.touch()
            out, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors
        records = [json.loads(line) for line in backup.read_text(encoding="utf-8").splitlines()[1:]]
        articles = [record["fields"] for record in records if record["model"] == "coverage_archive.article"]
        written_in_backup = sum(article["slug"].startswith("synthetic-written-during-backup-") for article in articles)
        # Some of the editor's work is in the backup, more came after it: the backup ran among writes.
        assert 3 <= written_in_backup < int(out)

        captures = [record["fields"] for record in records if record["model"] == "preservation.capture"]
        # Every odd piece keeps its capture; an even piece's capture deleted after the snapshot was taken,
        # its file gone meanwhile, is left out rather than stopping the backup.
        numbers = {
            article["id"]: int(article["slug"].rsplit("-", 1)[1])
            for article in articles
            if "-during-" in article["slug"]
        }
        captured = {numbers[capture["article_id"]] for capture in captures if capture["article_id"] in numbers}
        assert {number for number in numbers.values() if number % 2} <= captured
        assert (
            not {number for number in numbers.values() if number % 2 == 0 and number < max(numbers.values()) - 2}
            & captured
        )

        assert dangling_references(backup) == []
        report = restored.manage("import_archive", str(backup))
        assert f" {len(articles):,} coverage_archive.article," in report
        assert f" {len(captures):,} preservation.capture," in report
        assert stored_files(restored.media) == {capture["warc"]: capture["warc_sha256"] for capture in captures}


def test_the_command_refuses_an_inconsistent_backup_in_words_alone_and_writes_nothing(
    fresh_database, seed_backup, tmp_path
):
    inconsistent, whole = tmp_path / "inconsistent.jsonl", tmp_path / "whole.jsonl"
    inconsistent.write_text("".join(without(seed_backup, "coverage_archive.article")), encoding="utf-8")
    whole.write_text("".join(seed_backup), encoding="utf-8")
    with fresh_database.copy(tmp_path, "refusing") as database:
        result = database.run_python("manage.py", "import_archive", str(inconsistent), timeout=120)

        assert result.returncode == 1
        assert result.stderr == (
            "CommandError: Line 19: article subject 1 refers to article 1 (its article_id), which the backup does "
            "not hold. The backup is inconsistent; take a new one (export_archive reads the archive in one "
            "snapshot, so one taken while editors work is whole). Nothing was restored.\n"
        )
        # Nothing was kept: a restore, which needs an empty archive, still goes through.
        assert "Checked (dry run, nothing written)" in database.manage("import_archive", "--dry-run", str(whole))


def test_the_command_refuses_a_backup_missing_a_file_in_words_alone_and_writes_none(fresh_database, tmp_path):
    with fresh_database.copy(tmp_path, "lost") as database:
        code = (
            "import django; django.setup()\n"
            "from tests.captures import synthetic_capture\nfrom tests.factories import ArticleFactory\n"
            "capture = synthetic_capture(ArticleFactory())\n"
            "capture.warc.storage.delete(capture.warc.name)\n"
            "print(capture.pk, capture.warc.name)\n"
        )
        made = database.run_python("-c", code, timeout=120)
        assert made.returncode == 0, made.stderr
        capture, name = made.stdout.split()
        out = tmp_path / "backup.jsonl"
        result = database.run_python("manage.py", "export_archive", str(out), timeout=120)

        assert result.returncode == 1
        assert result.stderr == (
            f"CommandError: Capture {capture}'s WARC file, {name}, is missing from storage. Put the file back, "
            "or delete the capture, then back up again. No backup was written.\n"
        )
        assert list(tmp_path.glob("backup.jsonl*")) == []
