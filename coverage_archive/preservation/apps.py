from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class PreservationConfig(AppConfig):
    name = "coverage_archive.preservation"
    label = "preservation"
    verbose_name = _("Preservation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coverage_archive.preservation.models import Capture, delete_warc_after_commit

        # A capture's WARC file goes when its row goes (and its row goes with its article).
        post_delete.connect(delete_warc_after_commit, sender=Capture, dispatch_uid="kyr_delete_warc_after_commit")
