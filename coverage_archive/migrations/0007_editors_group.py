"""The "Editors" group: the people who add, correct, publish and import coverage.

They may add, change and view articles and the four taxonomies, publish,
unpublish and withdraw articles, import CSV files, and delete an article only
while it has never been published (ArticleAdmin.has_delete_permission). They
may not manage users or groups, nor delete taxonomy terms.

On a fresh database Django creates permissions only after all migrations
have run (post_migrate), so this migration creates the ones it needs itself.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Editors"
TAXONOMY_MODELS = ("source", "subject", "itemtype", "organization")
CODENAMES = (
    *(f"{action}_{model}" for model in TAXONOMY_MODELS for action in ("add", "change", "view")),
    "add_article",
    "change_article",
    "view_article",
    "delete_article",
    "publish_article",
    "import_article",
)


def create_editors_group(apps, schema_editor):
    app_config = apps.get_app_config("coverage_archive")
    # create_permissions() skips an app whose models module is unset, as it is in migration state.
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP_NAME)
    permissions = Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="coverage_archive", codename__in=CODENAMES
    )
    missing = set(CODENAMES) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions not found for the Editors group: {sorted(missing)}")
    group.permissions.add(*permissions)


def delete_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0006_import_previews"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_editors_group, delete_editors_group),
    ]
