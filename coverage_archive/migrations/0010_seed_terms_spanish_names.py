"""Give the seed archive's terms their Spanish names in databases loaded before those names existed.

fixtures/seed_archive.json carries the same names for new archives (the seed
loads only into an empty archive, so an existing one would never get them).
Only a term with the seed's slug and no Spanish name yet is touched.
"""

from django.db import migrations

SPANISH_NAMES = {
    "subject": {"organizing": "Organización comunitaria"},
    "itemtype": {
        "media-coverage": "Cobertura de prensa",
        "press-release": "Comunicado de prensa",
        "op-ed": "Artículo de opinión",
        "report": "Informe",
        "video": "Video",
        "podcast": "Pódcast",
    },
    "organization": {
        "aclu": "Unión Americana de Libertades Civiles (ACLU)",
        "ice": "Servicio de Inmigración y Control de Aduanas de EE. UU. (ICE)",
    },
}


def add_spanish_names(apps, schema_editor):
    for model_name, names in SPANISH_NAMES.items():
        model = apps.get_model("coverage_archive", model_name)
        for slug, name_es in names.items():
            model.objects.filter(slug=slug, name_es="").update(name_es=name_es)


def remove_spanish_names(apps, schema_editor):
    for model_name, names in SPANISH_NAMES.items():
        model = apps.get_model("coverage_archive", model_name)
        for slug, name_es in names.items():
            model.objects.filter(slug=slug, name_es=name_es).update(name_es="")


class Migration(migrations.Migration):
    dependencies = [("coverage_archive", "0009_taxonomy_spanish_names")]

    operations = [migrations.RunPython(add_spanish_names, remove_spanish_names)]
