"""The preservation parts of the article admin: captures, link checks, "Add from a link".

``coverage_archive.admin.ArticleAdmin`` takes ``PreservationArticleAdmin`` as a mixin, so
the article admin stays one page while this room keeps its own views and rules.
"""

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

# How many of a piece's link checks its admin page lists; the rest are in the history below them.
LINK_CHECKS_SHOWN = 20


class PreservationArticleAdmin:
    """Mixed into ArticleAdmin (before SimpleHistoryAdmin)."""

    preservation_fields = ["captures_of_the_original", "checks_of_the_original_link"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("Preservation"), {"fields": self.preservation_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.preservation_fields]

    @admin.display(description=_("Captures of the original (newest first)"))
    def captures_of_the_original(self, obj):
        return render_to_string("admin/preservation/captures.html", {"captures": obj.captures.all() if obj.pk else []})

    @admin.display(description=_("Checks of the original link (newest first)"))
    def checks_of_the_original_link(self, obj):
        checks = obj.link_checks.all()[:LINK_CHECKS_SHOWN] if obj.pk else []
        return render_to_string("admin/preservation/link_checks.html", {"checks": checks})
