from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoverageArchiveConfig(AppConfig):
    name = "coverage_archive"
    verbose_name = _("Coverage archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coverage_archive.search import register_sqlite_functions

        # SQLite's search triggers and queries call kyr_fold(); every connection needs it.
        connection_created.connect(register_sqlite_functions, dispatch_uid="kyr_sqlite_functions")
