"""The admin's import page: upload, preview kept in the database, apply or discard."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from coverage_archive import importing
from coverage_archive.admin import import_counts
from coverage_archive.models import Article, ImportPreview, Source
from tests.csv_files import csv_bytes, csv_text, synthetic_row
from tests.factories import UserFactory

IMPORT = "/admin/coverage_archive/article/import/"


@pytest.fixture
def group_editor(client, db):
    user = UserFactory(username="group-editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def upload(client, data: bytes, name="clippings.csv", create_terms=True):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if create_terms:
        payload["create_terms"] = "on"
    return client.post(IMPORT, payload)


def test_uploading_shows_a_preview_and_writes_nothing(group_editor):
    response = upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2)]))

    assert response.status_code == 200
    assert response.context["summary"] == {
        "rows": 2, "create": 2, "update": 0, "unchanged": 0, "errors": 0, "new_terms": 10,
    }  # fmt: skip
    content = response.content.decode()
    assert "Synthetic article 1" in content
    assert 'name="apply"' in content
    assert not Article.objects.exists()
    assert not Source.objects.exists()
    assert ImportPreview.objects.get().created_by.username == "group-editor"


def test_applying_the_preview_imports_and_deletes_it(group_editor):
    upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2)]))
    preview = ImportPreview.objects.get()

    response = group_editor.post(preview.get_absolute_url(), {"apply": "Import"})

    assert response.status_code == 302
    assert Article.objects.count() == 2
    assert not ImportPreview.objects.exists()
    article = Article.objects.get(title="Synthetic article 1")
    assert article.created_by.username == "group-editor"
    assert article.history.get().history_user.username == "group-editor"


def test_importing_the_same_file_again_previews_no_change(group_editor):
    data = csv_bytes([synthetic_row(1)])
    upload(group_editor, data)
    group_editor.post(ImportPreview.objects.get().get_absolute_url(), {"apply": "Import"})

    response = upload(group_editor, data)

    assert response.context["summary"]["unchanged"] == 1
    assert "there is nothing to import" in response.content.decode()


def test_the_preview_is_kept_in_the_database_so_another_instance_can_apply_it(group_editor, client):
    upload(group_editor, csv_bytes([synthetic_row(1)]))
    preview = ImportPreview.objects.get()

    # Any app instance reads the same row: here, a GET that re-checks the stored file.
    page = group_editor.get(preview.get_absolute_url())

    assert page.status_code == 200
    assert page.context["summary"]["create"] == 1


def test_the_preview_is_not_applied_when_the_archive_changed_since(group_editor):
    upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2)]))
    preview = ImportPreview.objects.get()
    preview.summary = {**preview.summary, "create": 1}  # as if the archive had changed meanwhile
    preview.save()

    response = group_editor.post(preview.get_absolute_url(), {"apply": "Import"})

    assert response.status_code == 200
    assert not Article.objects.exists()
    assert "The archive changed since this preview was made" in response.content.decode()


def test_bad_rows_are_listed_with_row_column_and_reason_and_no_preview_is_kept(group_editor):
    response = upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2, date="2018-13")]))

    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(error.row, error.line, error.column) for error in errors] == [(3, 5, "date")]
    content = response.content.decode()
    assert "is not a date the archive understands" in content
    assert 'name="apply"' not in content
    assert not ImportPreview.objects.exists()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04binary", "This is not a CSV file"),
        ("title,source\ncaf\xe9\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"title,source,type,subjects,colour\n", "Unknown column in the header row"),
        (csv_bytes([synthetic_row(1, body="x" * 10_000_000)]), "has a cell longer than 1,000,000 characters"),
    ],
)
def test_a_bad_file_is_a_form_error_not_a_500(group_editor, data, message):
    response = upload(group_editor, data)

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["file"])
    assert not Article.objects.exists()


def test_a_file_over_the_row_limit_points_to_the_command(group_editor, monkeypatch):
    monkeypatch.setattr(importing, "ADMIN_MAX_ROWS", 2)

    response = upload(group_editor, csv_bytes([synthetic_row(n) for n in range(1, 4)]))

    assert "the admin imports up to 2 at a time" in str(response.context["form"].errors["file"])
    assert "manage.py import_coverage" in str(response.context["form"].errors["file"])


def test_discarding_deletes_the_preview(group_editor):
    upload(group_editor, csv_bytes([synthetic_row(1)]))

    response = group_editor.post(ImportPreview.objects.get().get_absolute_url(), {"discard": "Discard"})

    assert response.status_code == 302
    assert not ImportPreview.objects.exists()
    assert not Article.objects.exists()


def test_expired_previews_are_deleted(group_editor):
    upload(group_editor, csv_bytes([synthetic_row(1)]))
    ImportPreview.objects.update(created_at=timezone.now() - ImportPreview.LIFETIME - datetime.timedelta(minutes=1))

    group_editor.get(IMPORT)

    assert not ImportPreview.objects.exists()


def test_someone_elses_preview_is_not_found(group_editor):
    upload(group_editor, csv_bytes([synthetic_row(1)]))
    preview = ImportPreview.objects.get()
    other = Client()
    other.force_login(UserFactory(username="other-admin", is_staff=True, is_superuser=True))

    response = other.post(preview.get_absolute_url(), {"apply": "Import"})

    assert response.status_code == 404
    assert not Article.objects.exists()


def test_staff_without_the_import_permission_are_refused(client, db):
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.set(Group.objects.get(name="Editors").permissions.exclude(codename="import_article"))
    client.force_login(user)

    assert client.get(IMPORT).status_code == 403
    assert (
        'href="/admin/coverage_archive/article/import/"'
        not in client.get("/admin/coverage_archive/article/").content.decode()
    )


def test_staff_who_may_not_publish_may_import_drafts_only(client, db):
    user = UserFactory(username="writer", is_staff=True)
    user.user_permissions.set(Group.objects.get(name="Editors").permissions.exclude(codename="publish_article"))
    client.force_login(user)

    response = upload(client, csv_bytes([synthetic_row(1, status="published"), synthetic_row(2, status="draft")]))

    assert [(error.row, error.column) for error in response.context["errors"]] == [(2, "status")]


def test_names_the_archive_does_not_know_are_summed_up_once(group_editor):
    rows = [synthetic_row(1), synthetic_row(41)]  # both name Synthetic Source 1

    response = upload(group_editor, csv_bytes(rows), create_terms=False)

    unknown = dict(response.context["unknown_terms"])
    assert unknown["source"] == ["Synthetic Source 1"]
    # Source 1 and Type 1 once; Subjects 1, 6, 5 and 10; Organizations 1 and 11.
    assert "Create these 8 terms and import" in response.content.decode()


# --- Counting rows and problems, and creating the unknown terms in one click -------------------


def test_the_preview_counts_rows_with_errors_and_problems_apart(group_editor):
    rows = [
        synthetic_row(1, date="2018-13", status="maybe"),  # two problems in one row
        synthetic_row(2),
        synthetic_row(3, language="xx"),
    ]
    response = upload(group_editor, csv_bytes(rows))

    assert response.context["counts"] == (
        "3 rows: 1 to create, 0 to update, 0 unchanged, 2 rows with errors (3 problems)."
    )
    assert "2 rows with errors (3 problems)" in response.content.decode()


def test_one_row_with_one_problem_is_counted_in_the_singular(group_editor):
    response = upload(group_editor, csv_bytes([synthetic_row(1, date="2018-13")]))

    assert response.context["counts"] == "1 row: 0 to create, 0 to update, 0 unchanged, 1 row with errors (1 problem)."


def test_the_counts_are_in_spanish_with_their_plurals(db):
    rows = [synthetic_row(1, date="2018-13", status="maybe"), synthetic_row(2)]
    plan, _result = importing.import_csv(csv_text(rows), create_terms=True, dry_run=True)

    with translation.override("es"):
        counts = import_counts(plan)

    assert counts == ("2 filas: 1 por crear, 0 por actualizar, 0 sin cambios, 1 fila con errores (2 problemas).")


def unknown_terms_only(group_editor):
    """A file naming terms the archive lacks, and nothing else wrong with it."""
    upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2)]), create_terms=False)
    return ImportPreview.objects.get()


def test_a_file_whose_only_problems_are_unknown_names_is_kept_and_offers_to_create_them(group_editor):
    response = upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2)]), create_terms=False)

    preview = ImportPreview.objects.get()
    assert preview.create_terms is False
    content = response.content.decode()
    assert 'name="create_terms"' in content and "Create these 10 terms and import" in content
    assert 'name="apply"' not in content
    assert not Article.objects.exists() and not Source.objects.exists()


def test_creating_the_unknown_terms_imports_the_kept_file_without_a_second_upload(group_editor):
    preview = unknown_terms_only(group_editor)

    response = group_editor.post(preview.get_absolute_url(), {"create_terms": "Create these 10 terms and import"})

    assert response.status_code == 302
    assert Article.objects.count() == 2
    assert sorted(Source.objects.values_list("name", flat=True)) == ["Synthetic Source 1", "Synthetic Source 2"]
    assert not ImportPreview.objects.exists()


def test_unknown_names_beside_another_problem_offer_no_shortcut(group_editor):
    response = upload(group_editor, csv_bytes([synthetic_row(1), synthetic_row(2, date="2018-13")]), create_terms=False)

    assert 'name="create_terms"' not in response.content.decode()
    assert not ImportPreview.objects.exists()


def test_nothing_is_created_when_the_terms_needed_changed_since_the_preview(group_editor):
    preview = unknown_terms_only(group_editor)
    Source.objects.create(name="Synthetic Source 1", slug="synthetic-source-1")  # another editor, meanwhile

    response = group_editor.post(preview.get_absolute_url(), {"create_terms": "Create"})

    assert response.status_code == 200
    assert "The archive changed since this preview was made" in response.content.decode()
    assert not Article.objects.exists()
    assert Source.objects.count() == 1
    # The new preview (9 terms to create) is kept, to import with its own button.
    assert response.context["summary"]["new_terms"] == 9
    assert 'name="apply"' in response.content.decode()


def test_another_editor_cannot_create_the_terms_of_someone_elses_preview(group_editor):
    preview = unknown_terms_only(group_editor)
    other = Client()
    other.force_login(UserFactory(username="other-admin", is_staff=True, is_superuser=True))

    response = other.post(preview.get_absolute_url(), {"create_terms": "Create"})

    assert response.status_code == 404
    assert not Source.objects.exists()
