from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageArchiveConfig(AppConfig):
    name = "coverage_archive"
    verbose_name = _("Coverage archive")
    default_auto_field = "django.db.models.BigAutoField"
