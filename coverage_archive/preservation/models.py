"""What the archive keeps of an original: its captures, and the history of its link."""

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from coverage_archive.models import Article


def capture_path(capture, filename: str) -> str:
    """captures/2025/03/<sha256 of the payload>-<capture time>.warc.gz"""
    stamp = capture.captured_at.strftime("%Y%m%dT%H%M%SZ")
    return f"captures/{capture.captured_at:%Y/%m}/{capture.payload_sha256[:16]}-{stamp}.warc.gz"


class Capture(models.Model):
    """One fetch of an original, kept as a WARC file (request and response as received)."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="captures",
        null=True,
        blank=True,
        verbose_name=_("article"),
        help_text=_("Empty while the capture waits for an editor to make a draft of it."),
    )
    requested_url = models.URLField(_("requested URL"), max_length=2000)
    url = models.URLField(_("captured URL"), max_length=2000, help_text=_("The address after redirects."))
    captured_at = models.DateTimeField(_("captured"), db_index=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    payload_sha256 = models.CharField(
        _("SHA-256 of the payload"), max_length=64, help_text=_("Of the response body, as received.")
    )
    payload_size = models.PositiveBigIntegerField(_("payload size in bytes"))
    warc = models.FileField(_("WARC file"), upload_to=capture_path, max_length=300)
    warc_sha256 = models.CharField(_("SHA-256 of the WARC file"), max_length=64)
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("extracted text"), blank=True)
    # What extraction proposed for a draft (title, byline, date, source …), and what it lacked.
    proposal = models.JSONField(_("proposed draft"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("captured by"),
    )

    class Meta:
        ordering = ["-captured_at", "-id"]
        verbose_name = _("capture")
        verbose_name_plural = _("captures")
        indexes = [models.Index(fields=["article", "-captured_at"], name="capture_article_newest_idx")]

    def __str__(self):
        return f"{self.url} ({self.captured_at:%Y-%m-%d %H:%M})"

    def paragraphs(self) -> list[str]:
        """The extracted text's paragraphs: extraction writes one a line."""
        return [line.strip() for line in self.text.replace("\r\n", "\n").split("\n") if line.strip()]


def delete_warc_after_commit(sender, instance, using, **kwargs):
    """Remove a deleted capture's WARC file from storage, once the deletion is committed.

    Connected to post_delete (apps.py), so it runs for every way a capture goes: one
    deleted, a queryset deleted, or its article deleted (the rows cascade). Only after the
    commit: a deletion rolled back keeps its file. A storage that fails to delete is
    logged, not raised, as the rows are gone by then.
    """
    name = instance.warc.name
    if name:
        storage = instance.warc.storage
        transaction.on_commit(lambda: storage.delete(name), using=using, robust=True)


class LinkOutcome(models.TextChoices):
    FINE = "fine", _("Fine")
    MOVED = "moved", _("Moved")
    GONE = "gone", _("Gone")
    FAILING = "failing", _("Failing")


class LinkCheck(models.Model):
    """One check of an article's original link."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="link_checks", verbose_name=_("article")
    )
    checked_at = models.DateTimeField(_("checked"))
    url = models.URLField(_("checked URL"), max_length=2000)
    method = models.CharField(_("method"), max_length=8, default="HEAD")
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    final_url = models.URLField(_("final URL"), max_length=2000, blank=True)
    # Each redirect followed: [[status, from URL, to URL], …]
    redirects = models.JSONField(_("redirects"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=LinkOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        indexes = [models.Index(fields=["article", "-checked_at"], name="linkcheck_article_newest_idx")]

    def __str__(self):
        return f"{self.url}: {self.get_outcome_display()} ({self.checked_at:%Y-%m-%d})"


class LinkState(models.Model):
    """Where an article's original link stands, kept with every check: what the admin lists and filters."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="link_state", primary_key=True, verbose_name=_("article")
    )
    outcome = models.CharField(_("link state"), max_length=8, choices=LinkOutcome.choices)
    checked_at = models.DateTimeField(_("last checked"), db_index=True)
    last_fine_at = models.DateTimeField(_("last seen working"), null=True, blank=True)
    # Failures in a row: one failure never makes a link gone.
    failures_in_a_row = models.PositiveSmallIntegerField(_("failures in a row"), default=0)
    proposed_url = models.URLField(
        _("proposed new URL"),
        max_length=2000,
        blank=True,
        help_text=_("Where the original moved (a permanent redirect); an editor decides whether to use it."),
    )

    class Meta:
        verbose_name = _("link state")
        verbose_name_plural = _("link states")
        indexes = [models.Index(fields=["outcome"], name="linkstate_outcome_idx")]

    def __str__(self):
        return f"{self.article_id}: {self.get_outcome_display()}"
