from django.apps import AppConfig
from django.core.signals import request_finished
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def _drop_sqlite_search_triggers(sender, using, plan=None, **kwargs):
    """Before migrations run on SQLite: they may rebuild a table the triggers name."""
    from coverage_archive.sql import drop_sqlite_search_triggers, sqlite_index_exists

    connection = connections[using]
    if connection.vendor == "sqlite" and plan and sqlite_index_exists(connection):
        drop_sqlite_search_triggers(connection)


def _install_sqlite_search_triggers(sender, using, **kwargs):
    """After `migrate` (and a test's flush) on SQLite: the FTS5 index's triggers, from the file."""
    from coverage_archive.sql import install_sqlite_search_triggers

    install_sqlite_search_triggers(connections[using])


class CoverageArchiveConfig(AppConfig):
    name = "coverage_archive"
    verbose_name = _("Coverage archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coverage_archive.budget import end_reader_budget
        from coverage_archive.search.sqlite import register_sqlite_functions

        # SQLite's search triggers call kyr_stems_en() and kyr_stems_es(); every connection needs them.
        connection_created.connect(register_sqlite_functions, dispatch_uid="kyr_sqlite_functions")
        # SQLite cannot rebuild a table while another table's trigger names it: the
        # search index's triggers are off while migrations run (coverage_archive/sql/).
        pre_migrate.connect(_drop_sqlite_search_triggers, sender=self, dispatch_uid="kyr_drop_search_triggers")
        post_migrate.connect(_install_sqlite_search_triggers, sender=self, dispatch_uid="kyr_install_search_triggers")
        # A reader's time limit ends with the response (coverage_archive/budget.py).
        request_finished.connect(end_reader_budget, dispatch_uid="kyr_end_reader_budget")
