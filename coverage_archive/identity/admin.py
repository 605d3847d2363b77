"""The site identity in the admin: one record, for superusers only (not the Editors group)."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from coverage_archive.identity.current import forget_identity
from coverage_archive.identity.models import SINGLETON_PK, SiteIdentity


@admin.register(SiteIdentity)
class SiteIdentityAdmin(SimpleHistoryAdmin):
    fieldsets = [
        (_("Name"), {"fields": ["name", "name_es", "short_name", "short_name_es", "tagline", "tagline_es"]}),
        (_("About page"), {"fields": ["about", "about_es"]}),
        (_("Who keeps the archive"), {"fields": ["organization", "organization_es", "contact_email", "logo"]}),
    ]
    readonly_fields = ["updated_at"]

    # The archive's public face is the organization's decision: superusers only.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and not SiteIdentity.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """There is one record: the list goes straight to it (or to adding it)."""
        if SiteIdentity.objects.filter(pk=SINGLETON_PK).exists():
            return redirect(reverse("admin:identity_siteidentity_change", args=[SINGLETON_PK]))
        return redirect(reverse("admin:identity_siteidentity_add"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_identity()
