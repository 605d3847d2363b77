"""The editors' side: Django admin for coverage and its taxonomies."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coverage_archive.dates import DatePrecision, parse_partial_date
from coverage_archive.models import Article, ItemType, Organization, Source, Subject

# Editors paste links without a scheme ("wnyc.org/story"); assume HTTPS, as Django 6 will.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def _formfield_assuming_https(db_field, **kwargs):
    kwargs = {**URL_FIELDS_ASSUME_HTTPS.get(type(db_field), {}), **kwargs}
    return db_field.formfield(**kwargs)


class TaxonomyTermAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]


@admin.register(Source)
class SourceAdmin(TaxonomyTermAdmin):
    list_display = ["name", "slug", "homepage_url"]
    fields = ["name", "slug", "homepage_url", "description"]


@admin.register(Subject)
class SubjectAdmin(TaxonomyTermAdmin):
    fields = ["name", "slug", "description"]


@admin.register(ItemType)
class ItemTypeAdmin(TaxonomyTermAdmin):
    fields = ["name", "slug", "description"]


@admin.register(Organization)
class OrganizationAdmin(TaxonomyTermAdmin):
    fields = ["name", "slug", "description"]


class ArticleAdminForm(forms.ModelForm):
    """Takes the date as editors know it: “2018”, “2018-11” or “2018-11-05”."""

    date = forms.CharField(
        label=_("Publication date"),
        required=False,
        max_length=10,
        help_text=_("YYYY, YYYY-MM or YYYY-MM-DD, as precisely as the date is known. Leave empty if unknown."),
    )

    class Meta:
        model = Article
        # publication_date and date_precision come from the one `date` field above.
        fields = [
            "title",
            "slug",
            "source",
            "item_type",
            "subjects",
            "organizations",
            "byline",
            "language",
            "original_url",
            "archived_url",
            "summary",
            "body",
            "editors_note",
            "status",
            "published_at",
        ]
        formfield_callback = _formfield_assuming_https

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        period = self.instance.publication_period
        if period is not None:
            self.initial["date"] = period.isoformat()
        if "subjects" in self.fields:
            self.fields["subjects"].required = True

    def clean_date(self):
        text = self.cleaned_data["date"].strip()
        if not text:
            return None
        try:
            return parse_partial_date(text)
        except ValueError:
            raise ValidationError(
                _("Enter the date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2018 or 2018-11."), code="invalid"
            ) from None

    def clean(self):
        cleaned = super().clean()
        # Publishing without a time means "now"; a future time schedules it.
        if cleaned.get("status") == Article.Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = timezone.now()
        return cleaned

    def _post_clean(self):
        period = self.cleaned_data.get("date")
        self.instance.publication_date = period.start if period else None
        self.instance.date_precision = period.precision if period else DatePrecision.UNKNOWN
        super()._post_clean()


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["title", "source", "item_type", "display_date", "language", "status", "updated_at"]
    list_filter = ["status", "item_type", "language", "subjects", "source", "date_precision"]
    list_select_related = ["source", "item_type"]
    search_fields = ["title", "slug", "byline", "summary", "original_url", "source__name", "organizations__name"]
    autocomplete_fields = ["source", "subjects", "organizations"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "publication_date"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    # Our many-to-many links go through explicit models (for PROTECT), which the
    # admin leaves out of its forms by default; they hold no extra columns, so
    # the ordinary widget and .set() work. See formfield_for_manytomany.
    through_m2m_fields = ("subjects", "organizations")

    def get_fieldsets(self, request, obj=None):
        # Declared here rather than as the `fieldsets` attribute because the
        # admin's system check (admin.E013) refuses through-model fields there.
        fieldsets = [
            (None, {"fields": ["title", "slug", "source", "item_type", "subjects", "organizations"]}),
            (_("Publication"), {"fields": ["byline", "date", "language", "original_url", "archived_url"]}),
            (_("Text"), {"fields": ["summary", "body", "editors_note"]}),
            (_("Status"), {"fields": ["status", "published_at"]}),
        ]
        if obj is not None:  # who made and changed it only means something once it exists
            fieldsets.append((_("Record"), {"fields": self.readonly_fields}))
        return fieldsets

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.through_m2m_fields:
            kwargs.setdefault("widget", AutocompleteSelectMultiple(db_field, self.admin_site))
            kwargs.setdefault("queryset", db_field.remote_field.model.objects.all())
            return db_field.formfield(**kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("date"), ordering="publication_date")
    def display_date(self, obj):
        period = obj.publication_period
        return period.isoformat() if period else "—"

    def view_on_site(self, obj):
        # Only published articles have a public page to view.
        return obj.get_absolute_url() if obj.is_public() else None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
