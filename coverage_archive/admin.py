"""The editors' side: Django admin for coverage and its taxonomies.

Every change to an article or a term is kept with who made it and when
(django-simple-history: the "History" button on each page, with revert).
"""

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from coverage_archive import importing
from coverage_archive.dates import DatePrecision
from coverage_archive.formfields import LineFeedTextField, PartialDateField
from coverage_archive.history import CHANGED, CREATED, record_article_changes
from coverage_archive.models import Article, ImportPreview
from coverage_archive.preservation.admin import PreservationArticleAdmin
from coverage_archive.publishing import change_status, keep_status_unless_allowed
from coverage_archive.taxonomies import IN_ARTICLE_ORDER, TAXONOMIES

# Editors paste links without a scheme ("wnyc.org/story"); assume HTTPS, as Django 6 will.
# Text boxes' line breaks are read as the archive stores them.
ADMIN_FORM_FIELDS = {
    models.URLField: {"assume_scheme": "https"},
    models.TextField: {"form_class": LineFeedTextField},
}


def _admin_formfield(db_field, **kwargs):
    kwargs = {**ADMIN_FORM_FIELDS.get(type(db_field), {}), **kwargs}
    return db_field.formfield(**kwargs)


class TaxonomyTermAdmin(SimpleHistoryAdmin):
    formfield_overrides = ADMIN_FORM_FIELDS
    search_fields = ["name", "name_es", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]


# One admin per taxonomy; the model's own fields (a source's homepage) come after the slug.
for _taxonomy in TAXONOMIES:
    _own = _taxonomy.own_fields
    admin.site.register(
        _taxonomy.model,
        type(
            f"{_taxonomy.model.__name__}Admin",
            (TaxonomyTermAdmin,),
            {
                "list_display": ["name", "slug", *_own],
                "fields": ["name", "slug", *_own, "description", "name_es", "description_es"],
            },
        ),
    )

# The article's taxonomy fields, in the model's order; those linked through a model of their own.
TAXONOMY_FIELDS = [taxonomy.article_field for taxonomy in IN_ARTICLE_ORDER]
LINKED_TAXONOMIES = [taxonomy for taxonomy in IN_ARTICLE_ORDER if taxonomy.link_model]


class ArticleAdminForm(forms.ModelForm):
    """Takes the date as editors know it: “2018”, “2018-11” or “2018-11-05”."""

    date = PartialDateField(
        label=_("Publication date"),
        required=False,
        help_text=_("YYYY, YYYY-MM or YYYY-MM-DD, as precisely as the date is known. Leave empty if unknown."),
    )

    class Meta:
        model = Article
        # publication_date and date_precision come from the one `date` field above.
        fields = [
            "title",
            "slug",
            *TAXONOMY_FIELDS,
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
        formfield_callback = _admin_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        period = self.instance.publication_period
        if period is not None:
            self.initial["date"] = period.isoformat()
        if "subjects" in self.fields:
            self.fields["subjects"].required = True
        # Reverting to an earlier version (simple-history marks the instance with
        # its history entry): offer the subjects and organizations it had then,
        # not today's, which the instance's own relations would give.
        version = getattr(self.instance, "_history", None)
        if version is not None:
            for taxonomy in LINKED_TAXONOMIES:
                links = getattr(version, taxonomy.article_field).all()
                self.initial[taxonomy.article_field] = [getattr(link, f"{taxonomy.term_field}_id") for link in links]

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
        self._link_to_duplicate()

    def _link_to_duplicate(self):
        """Turn “this original URL is already in the archive” into a link to that article."""
        if not self.has_error("original_url", code="duplicate_original_url"):
            return
        errors = self.errors["original_url"]
        for index, error in enumerate(errors.as_data()):
            if error.code == "duplicate_original_url":
                url = reverse("admin:coverage_archive_article_change", args=[error.params["pk"]])
                message = format_html(
                    '{} <a href="{}">{}</a>', error.message % error.params, url, _("Open the existing article")
                )
                errors.data[index] = ValidationError(message, code=error.code)


class LanguageInUseFilter(admin.ChoicesFieldListFilter):
    """The languages some article is written in, not every language the archive knows."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        in_use = set(model._default_manager.order_by().values_list(field_path, flat=True).distinct())
        field = copy.copy(field)
        field.choices = [(code, name) for code, name in field.flatchoices if code in in_use]
        super().__init__(field, request, params, model, model_admin, field_path)


class SubjectFilter(admin.RelatedFieldListFilter):
    """Every subject, without Django's bare “-” entry for “no subject”: every article has one."""

    include_empty_choice = False


@admin.register(Article)
class ArticleAdmin(PreservationArticleAdmin, SimpleHistoryAdmin):
    form = ArticleAdminForm
    formfield_overrides = ADMIN_FORM_FIELDS
    list_display = [
        "title",
        "source",
        "item_type",
        "display_date",
        "language",
        "status",
        "updated_at",
        *PreservationArticleAdmin.preservation_list_display,
    ]
    # The short lists first: the link state's five choices were found below every source and subject.
    list_filter = [
        "status",
        *PreservationArticleAdmin.preservation_list_filter,
        "item_type",
        ("language", LanguageInUseFilter),
        "date_precision",
        ("subjects", SubjectFilter),
        "source",
    ]
    list_select_related = ["source", "item_type", *PreservationArticleAdmin.preservation_list_select_related]
    search_fields = ["title", "slug", "byline", "summary", "original_url", "source__name", "organizations__name"]
    autocomplete_fields = ["source", "subjects", "organizations"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "publication_date"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    actions = ["publish", "unpublish", "withdraw", *PreservationArticleAdmin.preservation_actions]
    change_list_template = "admin/coverage_archive/article/change_list.html"
    # Our many-to-many links go through explicit models (for PROTECT), which the
    # admin leaves out of its forms by default; they hold no extra columns, so
    # the ordinary widget and .set() work. See formfield_for_manytomany.
    through_m2m_fields = tuple(taxonomy.article_field for taxonomy in LINKED_TAXONOMIES)

    def get_fieldsets(self, request, obj=None):
        # Declared here rather than as the `fieldsets` attribute because the
        # admin's system check (admin.E013) refuses through-model fields there.
        fieldsets = [
            (None, {"fields": ["title", "slug", *TAXONOMY_FIELDS]}),
            (_("Publication"), {"fields": ["byline", "date", "language", "original_url", "archived_url"]}),
            (_("Text"), {"fields": ["summary", "body", "editors_note"]}),
            (_("Status"), {"fields": ["status", "published_at"]}),
        ]
        if obj is not None:  # who made and changed it only means something once it exists
            fieldsets.append((_("Record"), {"fields": self.readonly_fields}))
        return fieldsets + self.preservation_fieldsets(obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*self.readonly_fields, *self.preservation_fields]
        # Only those who may publish choose what readers see, and when.
        if self.has_publish_permission(request):
            return readonly
        return [*readonly, "status", "published_at"]

    def has_publish_permission(self, request):
        return request.user.has_perm("coverage_archive.publish_article")

    def get_form(self, request, obj=None, change=False, **kwargs):
        # History → Revert builds its form on the old version: show (and save) the status the
        # article has now to staff who may not publish. save_model enforces it for every form.
        if obj is not None and getattr(obj, "_history", None) is not None:
            keep_status_unless_allowed(request.user, obj)
        return super().get_form(request, obj, change, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # What readers may have seen or linked to is withdrawn, not deleted;
        # only administrators delete it. A draft never published may be deleted.
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return obj.status == Article.Status.DRAFT and obj.published_at is None

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
        if keep_status_unless_allowed(request.user, obj):
            self.message_user(
                request,
                _("The status and publication time were kept as they were: you may not publish articles."),
                messages.WARNING,
            )
        # One history entry per save, written once the subjects and organizations
        # are saved too (log_addition/log_change); otherwise each link change
        # would add an entry of its own.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def _record_history(self, request, obj, history_type):
        if hasattr(obj, "skip_history_when_saving"):
            del obj.skip_history_when_saving
        record_article_changes([obj], history_type, user=request.user)

    def log_addition(self, request, obj, message):
        self._record_history(request, obj, CREATED)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        # Also called by simple-history's revert view, after it saves the links.
        self._record_history(request, obj, CHANGED)
        return super().log_change(request, obj, message)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            # The form checks for a duplicate link first; this is the database's
            # constraint refusing one saved by someone else a moment earlier.
            if "original_url_normalized" not in str(error) and "article_unique_normalized_original_url" not in str(
                error
            ):
                raise
            self.message_user(
                request,
                _("Not saved: this original URL was added to the archive meanwhile. Search for it in the list."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())

    # --- Publishing -------------------------------------------------------------------

    def _change_status(self, request, queryset, status, done_message):
        changed = change_status(queryset, status, user=request.user)
        self.message_user(request, done_message(len(changed)), messages.SUCCESS)
        return changed

    @admin.action(description=_("Publish selected articles"), permissions=["publish"])
    def publish(self, request, queryset):
        changed = self._change_status(
            request,
            queryset,
            Article.Status.PUBLISHED,
            lambda count: (
                ngettext("Published %(count)d article.", "Published %(count)d articles.", count) % {"count": count}
            ),
        )
        now = timezone.now()
        scheduled = sum(1 for article in changed if article.published_at > now)
        if scheduled:
            self.message_user(
                request,
                ngettext(
                    "%(count)d of them is scheduled and becomes public at its publication time.",
                    "%(count)d of them are scheduled and become public at their publication time.",
                    scheduled,
                )
                % {"count": scheduled},
                messages.INFO,
            )

    @admin.action(description=_("Unpublish selected articles (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self._change_status(
            request,
            queryset,
            Article.Status.DRAFT,
            lambda count: (
                ngettext("Unpublished %(count)d article.", "Unpublished %(count)d articles.", count) % {"count": count}
            ),
        )

    @admin.action(description=_("Withdraw selected articles (removed at a subject’s request)"), permissions=["publish"])
    def withdraw(self, request, queryset):
        self._change_status(
            request,
            queryset,
            Article.Status.WITHDRAWN,
            lambda count: (
                ngettext(
                    "Withdrew %(count)d article: its page now says it was removed.",
                    "Withdrew %(count)d articles: their pages now say they were removed.",
                    count,
                )
                % {"count": count}
            ),
        )

    # --- Importing from CSV -------------------------------------------------------------

    def has_import_permission(self, request):
        return request.user.has_perm("coverage_archive.import_article")

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="coverage_archive_article_import"),
            path(
                "import/<uuid:preview_id>/",
                self.admin_site.admin_view(self.import_preview_view),
                name="coverage_archive_article_import_preview",
            ),
        ]
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def _import_context(self, request, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import coverage from a CSV file"),
            "columns": importing.COLUMNS,
            "required_columns": importing.REQUIRED_COLUMNS,
            "max_rows": importing.ADMIN_MAX_ROWS,
            "max_megabytes": importing.ADMIN_MAX_BYTES // (1024 * 1024),
            **context,
        }

    def import_view(self, request):
        """Upload a file; every upload is checked and shown as a preview before anything is written."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        ImportPreview.objects.expired().delete()
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                plan, _result = importing.import_csv(
                    form.cleaned_data["text"],
                    file_name=upload.name,
                    create_terms=form.cleaned_data["create_terms"],
                    allow_publish=self.has_publish_permission(request),
                    dry_run=True,
                    max_rows=importing.ADMIN_MAX_ROWS,
                )
            except importing.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                preview = None
                # A file whose only problems are unknown names is kept too, so that "Create these
                # terms and import" needs no second upload.
                if plan.is_valid or plan.only_unknown_terms:
                    preview = ImportPreview.objects.create(
                        created_by=request.user,
                        file_name=upload.name[:255],
                        text=form.cleaned_data["text"],
                        create_terms=form.cleaned_data["create_terms"],
                        summary=self._preview_summary(plan),
                    )
                return self._render_preview(request, plan, preview)
        return TemplateResponse(
            request, "admin/coverage_archive/article/import_form.html", self._import_context(request, form=form)
        )

    def import_preview_view(self, request, preview_id):
        """The preview of an uploaded file (GET), and applying or discarding it (POST)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        ImportPreview.objects.expired().delete()
        preview = get_object_or_404(ImportPreview, pk=preview_id, created_by=request.user)
        if request.method == "POST" and "discard" in request.POST:
            preview.delete()
            self.message_user(request, _("The import was discarded; nothing was written."), messages.INFO)
            return HttpResponseRedirect(reverse("admin:coverage_archive_article_import"))
        if request.method != "POST":
            plan, _result = self._plan_preview(request, preview, dry_run=True)
            return self._render_preview(request, plan, preview)
        if "create_terms" in request.POST:
            return self._create_terms_and_import(request, preview)

        def unchanged_since_preview(plan):
            return plan.summary() == preview.summary

        plan, result = self._plan_preview(request, preview, dry_run=False, confirm=unchanged_since_preview)
        if result is None:
            return self._changed_since_preview(request, plan, preview)
        return self._imported(request, preview, plan, result)

    def _create_terms_and_import(self, request, preview):
        """Import a previewed file whose only problems were unknown names, creating exactly those terms.

        The file is the one kept with the preview. It is checked again inside the import's transaction:
        if it now needs other terms than those the editor was shown (someone added one meanwhile) or has
        another problem, nothing is written and the new preview is shown.
        """
        shown = preview.summary.get("unknown_terms")
        if not shown:  # a preview without unknown names: nothing to create here
            return HttpResponseRedirect(preview.get_absolute_url())
        preview.create_terms = True

        def creates_the_terms_shown(plan):
            return plan.new_term_names() == shown

        plan, result = self._plan_preview(request, preview, dry_run=False, confirm=creates_the_terms_shown)
        if result is None:
            return self._changed_since_preview(request, plan, preview)
        return self._imported(request, preview, plan, result)

    def _changed_since_preview(self, request, plan, preview):
        """Nothing was written: show the file's new preview (kept when it can be imported) and ask again."""
        if plan.is_valid:
            preview.summary = self._preview_summary(plan)
            preview.save(update_fields=["create_terms", "summary"])
            self.message_user(
                request,
                _("The archive changed since this preview was made. Nothing was written: check the new preview."),
                messages.WARNING,
            )
        return self._render_preview(request, plan, preview if plan.is_valid else None)

    def _imported(self, request, preview, plan, result):
        preview.delete()
        self.message_user(
            request,
            _(
                "Imported %(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(terms)d new terms."
            )
            % {
                "file": plan.file_name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "terms": result.terms_created,
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:coverage_archive_article_changelist"))

    @staticmethod
    def _preview_summary(plan):
        """The counts the editor is shown (to notice a change on apply), and the unknown names listed."""
        summary = plan.summary()
        if plan.only_unknown_terms:
            summary["unknown_terms"] = plan.unknown_term_names()
        return summary

    def _plan_preview(self, request, preview, *, dry_run, confirm=None):
        try:
            return importing.import_csv(
                preview.text,
                file_name=preview.file_name,
                create_terms=preview.create_terms,
                allow_publish=self.has_publish_permission(request),
                user=request.user,
                dry_run=dry_run,
                max_rows=importing.ADMIN_MAX_ROWS,
                confirm=confirm,
            )
        except importing.ImportFileError as error:
            plan = importing.ImportPlan(file_name=preview.file_name, columns=[])
            plan.errors.append(importing.RowError(0, 0, "", str(error)))
            return plan, None

    def _render_preview(self, request, plan, preview):
        shown = importing.ADMIN_ROWS_SHOWN
        return TemplateResponse(
            request,
            "admin/coverage_archive/article/import_preview.html",
            self._import_context(
                request,
                title=_("Import preview: %(file)s") % {"file": plan.file_name},
                plan=plan,
                preview=preview,
                summary=plan.summary(),
                counts=import_counts(plan),
                only_unknown_terms=plan.only_unknown_terms,
                unknown_term_count=sum(len(names) for names in plan.unknown_terms.values()),
                errors=plan.errors[:shown],
                more_errors=max(len(plan.errors) - shown, 0),
                to_create=plan.to_create[:shown],
                more_to_create=max(len(plan.to_create) - shown, 0),
                to_update=plan.to_update[:shown],
                more_to_update=max(len(plan.to_update) - shown, 0),
                new_terms=[(model._meta.verbose_name, names) for model, names in plan.new_terms.items()],
                unknown_terms=[(model._meta.verbose_name, names) for model, names in plan.unknown_terms.items()],
            ),
        )


def import_counts(plan) -> str:
    """“3 rows: 1 to create, 0 to update, 0 unchanged, 2 rows with errors (5 problems).”"""
    summary = plan.summary()
    counts = {
        "rows": ngettext("%(count)d row", "%(count)d rows", summary["rows"]) % {"count": summary["rows"]},
        "create": summary["create"],
        "update": summary["update"],
        "unchanged": summary["unchanged"],
    }
    if not plan.errors:
        return _("%(rows)s: %(create)d to create, %(update)d to update, %(unchanged)d unchanged.") % counts
    rows = plan.rows_with_errors
    counts["errors"] = ngettext("%(count)d row with errors", "%(count)d rows with errors", rows) % {"count": rows}
    counts["problems"] = ngettext("%(count)d problem", "%(count)d problems", summary["errors"]) % {
        "count": summary["errors"]
    }
    return (
        _("%(rows)s: %(create)d to create, %(update)d to update, %(unchanged)d unchanged, %(errors)s (%(problems)s).")
        % counts
    )


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Saved from your spreadsheet as “CSV UTF-8”, with the header row first."),
    )
    create_terms = forms.BooleanField(
        label=_("Create new terms"),
        required=False,
        help_text=_(
            "Add sources, types, subjects and organizations the archive does not have yet. "
            "Otherwise a name the archive does not know is reported as an error, which catches misspellings."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importing.ADMIN_MAX_BYTES:
            raise ValidationError(
                _(
                    "This file is larger than %(limit)d MB, the most the admin imports at once. Split it, or ask "
                    "the archive's operator to run manage.py import_coverage with it."
                )
                % {"limit": importing.ADMIN_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.cleaned_data["text"] = importing.decode(upload.read())
        except importing.ImportFileError as error:
            raise ValidationError(str(error)) from None
        return upload
