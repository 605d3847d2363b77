"""The preservation parts of the article admin: captures, link checks, "Add from a link".

``coverage_archive.admin.ArticleAdmin`` takes ``PreservationArticleAdmin`` as a mixin, so
the article admin stays one page while this room keeps its own views and rules.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coverage_archive.history import CHANGED, record_article_changes
from coverage_archive.models import Article, ItemType, Source
from coverage_archive.preservation.links import MAX_LINKS, links_in
from coverage_archive.preservation.models import Capture, LinkOutcome, LinkState


def _adding():
    """The adding code, loaded when an editor first fetches, not when Django loads the admin at
    start-up: it brings the fetcher (urllib3, trafilatura …), which no reader's request needs."""
    from coverage_archive.preservation import adding

    return adding


# How many of a piece's link checks its admin page lists; the rest are in the history below them.
LINK_CHECKS_SHOWN = 20


# --- Add from a link ---------------------------------------------------------------------


class LinksForm(forms.Form):
    links = forms.CharField(
        label=_("Links"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("One link a line, at most %(count)d.") % {"count": MAX_LINKS},
    )

    def clean_links(self):
        links = links_in(self.cleaned_data["links"])
        if not links:
            raise forms.ValidationError(_("Paste at least one link."))
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(
                _("%(count)d links: at most %(most)d at a time.") % {"count": len(links), "most": MAX_LINKS}
            )
        return links


class DraftForm(forms.Form):
    """One proposed capture: make a draft of it, with the source the editor confirms."""

    capture = forms.ModelChoiceField(queryset=Capture.objects.filter(article__isnull=True), widget=forms.HiddenInput)
    make = forms.BooleanField(label=_("Make a draft"), required=False, initial=True)
    title = forms.CharField(label=_("Title"), max_length=300)
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.order_by("name"), required=False, empty_label=_("(a new source)")
    )
    new_source = forms.CharField(
        label=_("New source"),
        max_length=200,
        required=False,
        help_text=_("Created with this name when no existing source is chosen."),
    )
    item_type = forms.ModelChoiceField(label=_("Type"), queryset=ItemType.objects.order_by("name"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("make") and not cleaned.get("source") and not (cleaned.get("new_source") or "").strip():
            self.add_error("source", _("Choose a source, or name the new one to create."))
        return cleaned


DraftFormSet = forms.formset_factory(DraftForm, extra=0, max_num=MAX_LINKS, absolute_max=MAX_LINKS)


class AddFromLinkViews:
    """The admin's "Add from a link" pages and "Capture the original now" (mixed into ArticleAdmin)."""

    def get_urls(self):
        own = [
            path(
                "add-from-link/",
                self.admin_site.admin_view(self.add_from_link_view),
                name="coverage_archive_article_add_from_link",
            ),
            path(
                "<int:object_id>/capture/",
                self.admin_site.admin_view(self.capture_view),
                name="coverage_archive_article_capture",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request, **context):
        return {**self.admin_site.each_context(request), "opts": self.opts, **context}

    def add_from_link_view(self, request):
        """Step 1 (paste links) and step 2 (review the proposals, make drafts)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "make_drafts" in request.POST:
            return self._make_drafts(request)
        form = LinksForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            _adding().discard_stale_proposals()
            outcomes = _adding().propose_all(form.cleaned_data["links"], user=request.user)
            return self._review(request, outcomes)
        return TemplateResponse(
            request,
            "admin/preservation/add_from_link.html",
            self._context(request, title=_("Add coverage from a link"), form=form),
        )

    def _review(self, request, outcomes, formset=None):
        proposed = [outcome for outcome in outcomes if outcome.kind == "proposed"]
        if formset is None:
            default_type = _adding().default_item_type()
            formset = DraftFormSet(
                initial=[
                    {
                        "capture": outcome.capture.pk,
                        "make": True,
                        "title": outcome.capture.proposal.get("title", "")[: DraftForm.base_fields["title"].max_length],
                        "source": outcome.source.pk if outcome.source else None,
                        "new_source": ""
                        if outcome.source
                        else _adding().proposed_source_name(outcome.capture.proposal),
                        "item_type": default_type.pk if default_type else None,
                    }
                    for outcome in proposed
                ]
            )
        rows = list(zip(proposed, formset.forms, strict=True))
        return TemplateResponse(
            request,
            "admin/preservation/add_from_link_review.html",
            self._context(
                request,
                title=_("Review the proposed drafts"),
                rows=rows,
                formset=formset,
                others=[outcome for outcome in outcomes if outcome.kind != "proposed"],
            ),
        )

    def _make_drafts(self, request):
        formset = DraftFormSet(request.POST)
        if not formset.is_valid():
            outcomes = []
            for form in formset.forms:
                capture = Capture.objects.filter(pk=form["capture"].value(), article__isnull=True).first()
                if capture is None:
                    continue
                source = _adding().matching_source(
                    capture.proposal.get("site_name", ""), capture.proposal.get("domain", "")
                )
                outcomes.append(
                    _adding().Outcome(
                        capture.requested_url,
                        "proposed",
                        capture=capture,
                        source=source,
                        notes=_adding().describe(capture.proposal),
                    )
                )
            if len(outcomes) != len(formset.forms):
                self.message_user(
                    request,
                    _("These proposals were already used or have expired; paste the links again."),
                    messages.ERROR,
                )
                return HttpResponseRedirect(reverse("admin:coverage_archive_article_add_from_link"))
            return self._review(request, outcomes, formset)
        made = []
        for form in formset.forms:
            data = form.cleaned_data
            if not data.get("make"):
                _adding().discard(data["capture"])
                continue
            made.append(
                _adding().make_draft(
                    data["capture"],
                    user=request.user,
                    source=data.get("source"),
                    new_source_name="" if data.get("source") else data.get("new_source", ""),
                    item_type=data["item_type"],
                    title=data["title"],
                )
            )
        return TemplateResponse(
            request,
            "admin/preservation/add_from_link_done.html",
            self._context(request, title=_("Drafts made from links"), outcomes=made),
        )

    def capture_view(self, request, object_id):
        """Capture the original now: a confirmation (GET), then the capture (POST)."""
        article = get_object_or_404(Article, pk=object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        change_url = reverse("admin:coverage_archive_article_change", args=[article.pk])
        if request.method == "POST":
            outcome = _adding().capture_again(article, user=request.user)
            if outcome.kind == "captured":
                self.message_user(request, outcome.message, messages.SUCCESS)
            else:
                self.message_user(
                    request, _("No capture was made: %(reason)s") % {"reason": outcome.message}, messages.ERROR
                )
            return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/preservation/capture_confirm.html",
            self._context(
                request,
                title=_("Capture the original now"),
                article=article,
                change_url=change_url,
                original=article,
                object_id=article.pk,
            ),
        )


class LinkStateFilter(admin.SimpleListFilter):
    """The article list by where its original link stands after the last check_links run."""

    title = _("link state")
    parameter_name = "link_state"
    NEVER_CHECKED = "unchecked"

    def lookups(self, request, model_admin):
        return [*LinkOutcome.choices, (self.NEVER_CHECKED, _("Never checked"))]

    def queryset(self, request, queryset):
        if self.value() == self.NEVER_CHECKED:
            return queryset.filter(link_state__isnull=True)
        if self.value() in LinkOutcome.values:
            return queryset.filter(link_state__outcome=self.value())
        return queryset


class PreservationArticleAdmin(AddFromLinkViews):
    """Mixed into ArticleAdmin (before SimpleHistoryAdmin), which adds these to its own lists."""

    preservation_fields = ["captures_of_the_original", "checks_of_the_original_link"]
    preservation_list_display = ["last_seen_working"]
    preservation_list_filter = [LinkStateFilter]
    preservation_list_select_related = ["link_state"]
    preservation_actions = ["use_proposed_url"]

    @admin.display(description=_("last seen working"), ordering="link_state__last_fine_at")
    def last_seen_working(self, obj):
        state = getattr(obj, "link_state", None)
        if state is None:
            return _("not checked")
        if state.last_fine_at is None:
            return _("never")
        # Year-month-day, as the list's Date column: 03/05/2025 reads as March or May depending on who reads.
        return date_format(timezone.localtime(state.last_fine_at), "Y-m-d")

    @admin.action(description=_("Use the proposed new URL of selected moved links"), permissions=["change"])
    def use_proposed_url(self, request, queryset):
        """Apply what check_links proposed for a moved original: an editor's choice, never automatic."""
        used, clashes = 0, []
        with transaction.atomic():
            for article in (
                queryset.filter(link_state__outcome=LinkOutcome.MOVED)
                .exclude(link_state__proposed_url="")
                .select_related("link_state")
            ):
                state = article.link_state
                if Article.objects.with_original_url(state.proposed_url).exclude(pk=article.pk).exists():
                    clashes.append(article.title)
                    continue
                article.original_url = state.proposed_url
                article.updated_by = request.user
                article.skip_history_when_saving = True
                article.save(update_fields=["original_url", "updated_by", "updated_at"])
                del article.skip_history_when_saving
                record_article_changes(
                    [article], CHANGED, user=request.user, reason="Original moved: used the proposed new URL"
                )
                # The check found the new address answering: it is the working link now.
                LinkState.objects.filter(pk=state.pk).update(proposed_url="", outcome=LinkOutcome.FINE)
                used += 1
        if used:
            self.message_user(
                request,
                ngettext(
                    "Used the proposed new URL of %(count)d article.",
                    "Used the proposed new URL of %(count)d articles.",
                    used,
                )
                % {"count": used},
                messages.SUCCESS,
            )
        for title in clashes:
            self.message_user(
                request,
                _("Not changed: the new URL of “%(title)s” is already another piece's original.") % {"title": title},
                messages.WARNING,
            )
        if not used and not clashes:
            self.message_user(
                request,
                _("None of the selected articles has a proposed new URL: only moved links have one."),
                messages.WARNING,
            )

    def preservation_fieldsets(self, obj=None) -> list:
        """The article form's Preservation section, for a piece that exists."""
        return [] if obj is None else [(_("Preservation"), {"fields": self.preservation_fields})]

    @admin.display(description=_("Captures of the original (newest first)"))
    def captures_of_the_original(self, obj):
        captures = obj.captures.all() if obj.pk else []
        return mark_safe(render_to_string("admin/preservation/captures.html", {"captures": captures}))

    @admin.display(description=_("Checks of the original link (newest first)"))
    def checks_of_the_original_link(self, obj):
        checks = obj.link_checks.all()[:LINK_CHECKS_SHOWN] if obj.pk else []
        return mark_safe(render_to_string("admin/preservation/link_checks.html", {"checks": checks}))
