from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreservationConfig(AppConfig):
    name = "coverage_archive.preservation"
    label = "preservation"
    verbose_name = _("Preservation")
    default_auto_field = "django.db.models.BigAutoField"
