"""SiteIdentity: the one record of who runs this archive, and the wording used where it is empty.

Every field may be left empty: the site then says what it said before the record existed (the
translated defaults below), so a fresh archive changes nothing until a superuser fills it in.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coverage_archive.identity import logos
from coverage_archive.models import translated_column
from coverage_archive.text import multiline_text, single_line_text

# The single row's primary key; a CheckConstraint keeps any other out of the table.
SINGLETON_PK = 1


def logo_path(identity, filename: str) -> str:
    """identity/<random>.svg: a new name for each upload, so the logo's address can be cached for ever."""
    extension = filename.rpartition(".")[2].lower()
    return f"identity/{uuid.uuid4().hex}.{extension if extension in logos.CONTENT_TYPES else 'bin'}"


class SiteIdentity(models.Model):
    """Who keeps this archive and what it is called: one record, edited by superusers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        validators=[single_line_text],
        help_text=_("Shown in the header, page titles, feeds and citations. Empty: “Know Your Rights”."),
    )
    name_es = models.CharField(
        _("name in Spanish"),
        max_length=100,
        blank=True,
        validators=[single_line_text],
        help_text=_("Shown on the Spanish pages. Leave empty to show the name above."),
    )
    short_name = models.CharField(
        _("short name"),
        max_length=40,
        blank=True,
        validators=[single_line_text],
        help_text=_("Where space is short: page titles and feed titles. Empty: the name."),
    )
    short_name_es = models.CharField(
        _("short name in Spanish"), max_length=40, blank=True, validators=[single_line_text]
    )
    tagline = models.CharField(
        _("tagline"),
        max_length=150,
        blank=True,
        validators=[single_line_text],
        help_text=_("Under the name in the header. Empty: “Media coverage archive”."),
    )
    tagline_es = models.CharField(_("tagline in Spanish"), max_length=150, blank=True, validators=[single_line_text])
    about = models.TextField(
        _("about the archive"),
        blank=True,
        validators=[multiline_text],
        help_text=_("Atop the About page: what the archive is and why. A blank line starts a paragraph."),
    )
    about_es = models.TextField(_("about the archive, in Spanish"), blank=True, validators=[multiline_text])
    organization = models.CharField(
        _("organization"),
        max_length=150,
        blank=True,
        validators=[single_line_text],
        help_text=_("Who keeps the archive, named on the About and Privacy pages."),
    )
    organization_es = models.CharField(
        _("organization in Spanish"), max_length=150, blank=True, validators=[single_line_text]
    )
    contact_email = models.EmailField(
        _("contact address"),
        blank=True,
        help_text=_("Where readers write for corrections and removals; shown on the About page."),
    )
    logo = models.FileField(
        _("logo"),
        upload_to=logo_path,
        blank=True,
        max_length=200,
        help_text=_("PNG or SVG, at most 200 KB; shown in the header and as the icon of the site's tabs."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Who changed what and when, as for coverage.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site identity")
        verbose_name_plural = _("site identity")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=SINGLETON_PK),
                name="identity_siteidentity_single_row",
                violation_error_message=_("There is only one site identity."),
            ),
        ]

    def __str__(self):
        return gettext("Site identity")

    def get_absolute_url(self):
        return reverse("coverage_archive:about")

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        if self.logo and not getattr(self.logo, "_committed", True):
            self.logo.seek(0)
            data = self.logo.read()
            self.logo.seek(0)
            try:
                kind = logos.logo_kind(data)
            except ValidationError as error:
                raise ValidationError({"logo": error}) from None
            self.logo.name = f"logo.{kind}"

    # --- In the reader's language, with today's wording where empty --------------------------

    def _in_reader_language(self, field: str) -> str:
        column = translated_column(field)
        return (getattr(self, column) if column else "") or getattr(self, field)

    @property
    def is_named(self) -> bool:
        return bool(self.name)

    @property
    def display_name(self) -> str:
        return self._in_reader_language("name") or gettext("Know Your Rights")

    @property
    def display_short_name(self) -> str:
        return self._in_reader_language("short_name") or self.display_name

    @property
    def display_tagline(self) -> str:
        return self._in_reader_language("tagline") or gettext("Media coverage archive")

    @property
    def display_about(self) -> str:
        return self._in_reader_language("about")

    @property
    def display_organization(self) -> str:
        return self._in_reader_language("organization")

    @property
    def logo_url(self) -> str:
        if not self.logo:
            return ""
        return reverse("identity_logo", kwargs={"filename": self.logo.name.rpartition("/")[2]})

    @property
    def logo_content_type(self) -> str:
        return logos.CONTENT_TYPES.get(self.logo.name.rpartition(".")[2], "") if self.logo else ""
