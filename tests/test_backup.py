"""Backup and restore: export_archive → a new database → import_archive → export_archive is byte-identical."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from coverage_archive import backup
from coverage_archive.backup import FORMAT, VERSION, BackupError, archive_models, export_archive, import_archive
from coverage_archive.models import Article, FormerSlug
from tests.csv_files import csv_bytes, synthetic_row
from tests.factories import UserFactory


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


def export_text() -> str:
    stream = io.StringIO()
    export_archive(stream)
    return stream.getvalue()


def test_the_export_is_deterministic_and_holds_no_export_time(rich_archive):
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


# --- The round trip through real commands and fresh databases -----------------------------------


def manage(database_url, *args):
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class FreshDatabase:
    """A new, migrated database of either kind, dropped afterwards."""

    def __init__(self, vendor, tmp_path, name):
        self.vendor = vendor
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
        manage(self.url, "migrate", "--noinput", "--verbosity", "0")
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

    def restore_and_export(self, backup, out):
        manage(self.url, "import_archive", str(backup), "--verbosity", "0")
        manage(self.url, "export_archive", str(out), "--verbosity", "0")
        return out.read_bytes()


def targets():
    # PostgreSQL targets when this run is on PostgreSQL (make test runs the suite on both).
    return ["sqlite", "postgresql"] if connection.vendor == "postgresql" else ["sqlite"]


def test_export_restore_export_is_byte_identical_across_databases(rich_archive, tmp_path):
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
            # The sequences moved past the restored ids: new coverage gets fresh ones.
            more = tmp_path / "new.csv"
            more.write_bytes(csv_bytes([synthetic_row(900)]))
            manage(database.url, "import_coverage", str(more), "--create-terms", "--verbosity", "0")
        current = out


# --- A backup taken while editors work ------------------------------------------------------------

# An editor at work, in its own process and connection: article after article with subject and
# organization links, each committed (with its history) before the next, until the stop file appears.
WRITER = """
import sys
from pathlib import Path

import django

django.setup()
from django.db import transaction
from django.utils import timezone

from coverage_archive.models import Article, ItemType, Organization, Source, Subject

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
        manage(seeded.url, "seed_synthetic", "--articles", "800", "--organizations", "50", "--verbosity", "0")
        yield seeded


@pytest.mark.parametrize("kind", BUSY_KINDS)
def test_a_backup_taken_while_an_editor_writes_restores_whole(fresh_database, seeded_database, tmp_path, kind):
    with seeded_database.copy(tmp_path, "busy") as busy, fresh_database.copy(tmp_path, "restored") as restored:
        if kind == "sqlite-wal":
            with sqlite3.connect(busy.url.removeprefix("sqlite:///")) as database:
                assert database.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        environment = {**os.environ, "DATABASE_URL": busy.url, "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test"}
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
            manage(busy.url, "export_archive", str(backup), "--verbosity", "0")
        finally:
            stop.touch()
            out, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors
        records = [json.loads(line) for line in backup.read_text(encoding="utf-8").splitlines()[1:]]
        articles = [record["fields"] for record in records if record["model"] == "coverage_archive.article"]
        written_in_backup = sum(article["slug"].startswith("synthetic-written-during-backup-") for article in articles)
        # Some of the editor's work is in the backup, more came after it: the backup ran among writes.
        assert 3 <= written_in_backup < int(out)

        assert dangling_references(backup) == []
        report = manage(restored.url, "import_archive", str(backup))
        assert f" {len(articles):,} coverage_archive.article," in report


def test_the_command_refuses_an_inconsistent_backup_in_words_alone_and_writes_nothing(
    fresh_database, seed_backup, tmp_path
):
    inconsistent, whole = tmp_path / "inconsistent.jsonl", tmp_path / "whole.jsonl"
    inconsistent.write_text("".join(without(seed_backup, "coverage_archive.article")), encoding="utf-8")
    whole.write_text("".join(seed_backup), encoding="utf-8")
    with fresh_database.copy(tmp_path, "refusing") as database:
        environment = {**os.environ, "DATABASE_URL": database.url, "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test"}
        result = subprocess.run(
            [sys.executable, "manage.py", "import_archive", str(inconsistent)],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert result.returncode == 1
        assert result.stderr == (
            "CommandError: Line 19: article subject 1 refers to article 1 (its article_id), which the backup does "
            "not hold. The backup is inconsistent; take a new one (export_archive reads the archive in one "
            "snapshot, so one taken while editors work is whole). Nothing was restored.\n"
        )
        # Nothing was kept: a restore, which needs an empty archive, still goes through.
        assert "Checked (dry run, nothing written)" in manage(database.url, "import_archive", "--dry-run", str(whole))
