from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "coverage_archive.identity"
    label = "identity"
    verbose_name = _("Site identity")
    default_auto_field = "django.db.models.BigAutoField"
