from django.contrib.admin.apps import AdminConfig


class ArchiveAdminConfig(AdminConfig):
    """django.contrib.admin with the archive's admin site as ``admin.site``, so every
    ``@admin.register`` (ours, django-otp's, django-axes') lands on the site that asks for a
    second factor and enforces enrolment."""

    default_site = "coverage_archive.accounts.site.ArchiveAdminSite"
