from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoverageArchiveConfig(AppConfig):
    name = "coverage_archive"
    verbose_name = _("Coverage archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coverage_archive.budget import end_reader_budget
        from coverage_archive.search import register_sqlite_functions

        # SQLite's search triggers and queries call kyr_fold(); every connection needs it.
        connection_created.connect(register_sqlite_functions, dispatch_uid="kyr_sqlite_functions")
        # A reader's time limit ends with the response (coverage_archive/budget.py).
        request_finished.connect(end_reader_budget, dispatch_uid="kyr_end_reader_budget")
