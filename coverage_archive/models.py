"""The archive's domain: coverage (articles) and the taxonomies that organise it."""

import datetime
import uuid

import simple_history
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coverage_archive.dates import DatePrecision, PartialDate
from coverage_archive.text import multiline_text, single_line_text, unix_newlines
from coverage_archive.urlnorm import normalize_url, without_tracking

# Names under /coverage/ that belong to fixed pages (feeds, exports, …), so no
# article may take them as its slug.
RESERVED_ARTICLE_SLUGS = ("atom", "csv", "export", "feed", "json", "latest", "new", "page", "rss", "search")


class Language(models.TextChoices):
    """Languages coverage is written in (ISO 639-1 codes)."""

    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    ARABIC = "ar", _("Arabic")
    BENGALI = "bn", _("Bengali")
    CHINESE = "zh", _("Chinese")
    FRENCH = "fr", _("French")
    HAITIAN_CREOLE = "ht", _("Haitian Creole")
    HINDI = "hi", _("Hindi")
    KOREAN = "ko", _("Korean")
    POLISH = "pl", _("Polish")
    PORTUGUESE = "pt", _("Portuguese")
    RUSSIAN = "ru", _("Russian")
    TAGALOG = "tl", _("Tagalog")
    URDU = "ur", _("Urdu")
    VIETNAMESE = "vi", _("Vietnamese")


def stored_value(model_field, value):
    """A field's value in the form the archive stores it, however it arrives (the admin, an import, a link).

    Multi-line text keeps its line breaks as ``\\n`` (browsers' text boxes send ``\\r\\n``,
    which reached the JSON export), and an article's original URL loses its tracking
    parameters (``utm_source``, ``fbclid`` …, the list in urlnorm), which never name
    a different piece. Everything else is stored as given.
    """
    if not isinstance(value, str):
        return value
    if multiline_text in model_field.validators:
        return unix_newlines(value)
    if model_field.name == "original_url" and issubclass(model_field.model, Article):
        return without_tracking(value)
    return value


class StoredValuesOnSave:
    """Saves every field in the form stored_value gives it; a mixin of the models editors write."""

    def save(self, *args, **kwargs):
        for model_field in self._meta.concrete_fields:
            value = getattr(self, model_field.attname)
            setattr(self, model_field.attname, stored_value(model_field, value))
        super().save(*args, **kwargs)


class TaxonomyTerm(StoredValuesOnSave, models.Model):
    """What Source, Subject, Type and Organization share: a named, linkable term."""

    name = models.CharField(
        _("name"), max_length=200, validators=[single_line_text], help_text=_("As readers should see it.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("The term's web address, e.g. “organizing”. Changing it breaks links people have saved."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        validators=[multiline_text],
        help_text=_("Optional; shown at the top of the term's page."),
    )
    # The Spanish pages show these; English is shown where they are empty.
    name_es = models.CharField(
        _("name in Spanish"),
        max_length=200,
        blank=True,
        validators=[single_line_text],
        help_text=_("Shown on the Spanish pages. Leave empty to show the name above (e.g. an outlet's own name)."),
    )
    description_es = models.TextField(
        _("description in Spanish"),
        blank=True,
        validators=[multiline_text],
        help_text=_("Shown on the Spanish pages. Leave empty to show the description above."),
    )

    # Who changed what and when, for each concrete term model (Source, Subject, …).
    history = HistoricalRecords(inherit=True)

    # The URL name of the term's page, set by each concrete model.
    detail_route: str

    class Meta:
        abstract = True
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="%(app_label)s_%(class)s_unique_name_ci",
                violation_error_message=_("A term with this name already exists (names are compared ignoring case)."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(self.detail_route, kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        """The name in the reader's language, or the (English) name when there is no translation."""
        return self._in_reader_language("name")

    @property
    def display_description(self) -> str:
        return self._in_reader_language("description")

    def _in_reader_language(self, field: str) -> str:
        column = translated_column(field)
        return (getattr(self, column) if column else "") or getattr(self, field)


def translated_column(field: str, language: str | None = None) -> str | None:
    """The column holding ``field`` in the active language (``name_es``), or None for the default language."""
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if code == settings.LANGUAGE_CODE or code not in dict(settings.LANGUAGES):
        return None
    return f"{field}_{code}"


class Source(TaxonomyTerm):
    """The outlet that published a piece: a newspaper, radio station, website."""

    homepage_url = models.URLField(_("homepage"), blank=True, help_text=_("The outlet's own website, if any."))

    detail_route = "coverage_archive:source"

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")


class Subject(TaxonomyTerm):
    """A topic, such as Organizing. Every article has one or more."""

    detail_route = "coverage_archive:subject"

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")


class ItemType(TaxonomyTerm):
    """The kind of item: Media Coverage, Press Release, Op-Ed, Report, Video, Podcast."""

    detail_route = "coverage_archive:type"

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("type")
        verbose_name_plural = _("types")


class Organization(TaxonomyTerm):
    """A group named in coverage, so readers can find every piece that mentions it."""

    detail_route = "coverage_archive:organization"

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")


# The archive's default order: newest first, articles of unknown date last (the
# same on SQLite and PostgreSQL), the primary key breaking ties for stable pages.
NEWEST_FIRST = (F("publication_date").desc(nulls_last=True), "-pk")


def published_condition(prefix: str = "") -> Q:
    """What readers may see: published, with a publication time that has come.

    The one statement of the rule, as a Q so it can also filter related rows
    (``published_condition("articles__")`` when counting a term's coverage).
    """
    return Q(**{f"{prefix}status": Article.Status.PUBLISHED, f"{prefix}published_at__lte": timezone.now()})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_condition())

    def next_publication_time(self):
        """When the next scheduled piece goes public (published, its time yet to come), or None.

        Readers' pages change then without any write to the database.
        """
        scheduled = self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
        return scheduled.order_by("published_at").values_list("published_at", flat=True).first()

    def with_original_url(self, url: str):
        """Articles whose original URL is the same link as ``url`` (compared in normalised form)."""
        normalized = normalize_url(url)
        return self.with_normalized_urls([normalized]) if normalized else self.none()

    def with_normalized_urls(self, normalized_urls):
        # Repeating the unique index's condition lets SQLite and PostgreSQL use that (partial) index.
        return self.filter(original_url_normalized__in=normalized_urls).exclude(original_url_normalized="")

    def _with_terms(self):
        return self.select_related("source", "item_type").prefetch_related(
            Prefetch("subjects", queryset=Subject.objects.order_by("name", "pk"))
        )

    def for_listing(self):
        """Everything a result row shows, in a constant number of queries.

        The body (a few kilobytes) stays in the database: lists show the summary,
        and a search's snippets read it for the page's results alone.
        """
        return self._with_terms().defer("body")

    def for_export(self):
        """Everything an export row holds, in a constant number of queries per chunk of rows."""
        return self._with_terms().prefetch_related(
            Prefetch("organizations", queryset=Organization.objects.order_by("name", "pk"))
        )

    def newest_first(self):
        return self.order_by(*NEWEST_FIRST)

    def best_match_first(self):
        """By the search's rank (see coverage_archive.search), ties newest first."""
        return self.order_by("-rank", *NEWEST_FIRST)

    def oldest_first(self):
        return self.order_by(F("publication_date").asc(nulls_last=True), "pk")

    def by_title(self):
        return self.order_by(Lower("title"), "pk")


class Article(StoredValuesOnSave, models.Model):
    """One piece of coverage."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        # Removed at the request of someone it concerns: the page answers 410 Gone.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=300, validators=[single_line_text])
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The article's web address under /coverage/. Keep it stable once published."),
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="articles", verbose_name=_("source"))
    item_type = models.ForeignKey(ItemType, on_delete=models.PROTECT, related_name="articles", verbose_name=_("type"))
    subjects = models.ManyToManyField(
        Subject, through="ArticleSubject", related_name="articles", verbose_name=_("subjects")
    )
    organizations = models.ManyToManyField(
        Organization,
        through="ArticleOrganization",
        related_name="articles",
        blank=True,
        verbose_name=_("organizations"),
        help_text=_("Groups the piece names, so readers can find all coverage of them."),
    )
    byline = models.CharField(
        _("byline"), max_length=300, blank=True, validators=[single_line_text], help_text=_("Author(s), as credited.")
    )
    publication_date = models.DateField(
        _("publication date"),
        null=True,
        blank=True,
        help_text=_("The first day of the period the piece is known to be from."),
    )
    date_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.UNKNOWN
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH)
    summary = models.TextField(
        _("summary"), blank=True, validators=[multiline_text], help_text=_("A few sentences in the archive's words.")
    )
    body = models.TextField(
        _("body"),
        blank=True,
        validators=[multiline_text],
        help_text=_("Plain text. Separate paragraphs with an empty line; no HTML."),
    )
    original_url = models.URLField(
        _("original URL"), max_length=2000, blank=True, help_text=_("Where the piece was first published.")
    )
    # Derived from original_url on every save; unique so a piece is archived once.
    original_url_normalized = models.CharField(max_length=2000, blank=True, editable=False)
    archived_url = models.URLField(
        _("archived copy URL"),
        max_length=2000,
        blank=True,
        help_text=_("A preserved copy, e.g. a Wayback Machine link, in case the original disappears."),
    )
    editors_note = models.TextField(
        _("editor's note"),
        blank=True,
        validators=[multiline_text],
        help_text=_("Shown to readers: how a date was inferred, a correction, context."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        _("published in the archive"),
        null=True,
        blank=True,
        help_text=_("When readers can first see it. Set automatically on first publish."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("updated by"),
    )

    objects = ArticleQuerySet.as_manager()
    # `Article.history` (every change) is registered below the link models it records.

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("publish_article", _("Can publish, unpublish and withdraw articles")),
            ("import_article", _("Can import articles from a CSV file")),
        ]
        ordering = list(NEWEST_FIRST)
        constraints = [
            models.UniqueConstraint(
                fields=["original_url_normalized"],
                condition=~Q(original_url_normalized=""),
                name="article_unique_normalized_original_url",
                violation_error_message=_("This original URL is already in the archive."),
            ),
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_ARTICLE_SLUGS),
                name="article_slug_not_reserved",
                violation_error_message=_(
                    "This slug is the address of one of the archive's own pages (such as “feed” or “export”); "
                    "choose another."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(publication_date__isnull=True) & Q(date_precision=DatePrecision.UNKNOWN))
                | (Q(publication_date__isnull=False) & ~Q(date_precision=DatePrecision.UNKNOWN)),
                name="article_date_matches_precision",
                violation_error_message=_("Give a date with a day, month or year precision, or neither."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="article_published_has_published_at",
                violation_error_message=_("A published article needs the time it was published in the archive."),
            ),
        ]
        indexes = [
            # The public listing: published rows, newest first (ArticleQuerySet.published + newest_first).
            models.Index(fields=["status", "-publication_date"], name="article_status_pubdate_idx"),
            # The date-range filter and the oldest-first sort.
            models.Index(fields=["publication_date"], name="article_pubdate_idx"),
            # The language filter.
            models.Index(fields=["language"], name="article_language_idx"),
            # The title sort.
            models.Index(Lower("title"), name="article_title_lower_idx"),
            # Facet counts (coverage_archive/facets.py) read every public row's
            # taxonomy columns: on PostgreSQL an index-only scan of this index,
            # not a scan of the wide table (34 ms instead of 800 ms at 100,000
            # articles). SQLite has no INCLUDE and gets the plain index.
            models.Index(
                fields=["status", "published_at"],
                include=["id", "source", "item_type", "language", "publication_date", "date_precision"],
                name="article_facets_covering_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # A derived value kept in the same write as its source, so it can never drift.
        self.original_url_normalized = normalize_url(self.original_url)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "original_url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "original_url_normalized"}
        # Links readers saved must keep working when a published article's slug
        # changes, whichever way it changes (the form, a history revert, code), so
        # the old slug is recorded in the same write.
        replaced_slug = self._replaced_public_slug()
        super().save(*args, **kwargs)
        if replaced_slug:
            FormerSlug.remember(replaced_slug, self)

    def get_absolute_url(self):
        return reverse("coverage_archive:article", kwargs={"slug": self.slug})

    def _replaced_public_slug(self) -> str | None:
        """The slug this save replaces, if the article has ever been published under it."""
        if self._state.adding or self.pk is None:
            return None
        stored = Article.objects.filter(pk=self.pk).values_list("slug", "published_at").first()
        if stored is None or stored[0] == self.slug or stored[1] is None:
            return None
        return stored[0]

    def is_public(self) -> bool:
        """Whether readers can see this article now (asks the database, which holds the rule)."""
        return self.pk is not None and Article.objects.published().filter(pk=self.pk).exists()

    @property
    def publication_period(self) -> PartialDate | None:
        if self.publication_date is None:
            return None
        return PartialDate(self.publication_date, DatePrecision(self.date_precision))

    def paragraphs(self) -> list[str]:
        """The body split at empty lines, as the editor wrote it."""
        text = unix_newlines(self.body)
        return [p.strip("\n") for p in text.split("\n\n") if p.strip()]

    def clean(self):
        super().clean()
        existing = Article.objects.with_original_url(self.original_url).exclude(pk=self.pk).first()
        if existing is not None:
            raise ValidationError(
                {
                    "original_url": ValidationError(
                        _("This original URL is already in the archive as “%(title)s”."),
                        code="duplicate_original_url",
                        params={"title": existing.title, "pk": existing.pk},
                    )
                }
            )


class ArticleSubject(models.Model):
    """Links an article to a subject; a subject in use cannot be deleted."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="subject_links")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="article_links")

    class Meta:
        verbose_name = _("article subject")
        verbose_name_plural = _("article subjects")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["article", "subject"], name="articlesubject_unique_pair")]
        indexes = [
            # The subject filter: article ids for a subject.
            models.Index(fields=["subject", "article"], name="articlesubject_subject_idx"),
        ]

    def __str__(self):
        return f"{self.article} — {self.subject}"


class ArticleOrganization(models.Model):
    """Links an article to an organization it names; an organization in use cannot be deleted."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="organization_links")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="article_links")

    class Meta:
        verbose_name = _("article organization")
        verbose_name_plural = _("article organizations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "organization"], name="articleorganization_unique_pair")
        ]
        indexes = [
            # The organization filter: article ids for an organization.
            models.Index(fields=["organization", "article"], name="articleorg_organization_idx"),
        ]

    def __str__(self):
        return f"{self.article} — {self.organization}"


# Every change to an article, with its subjects and organizations as they were
# (registered here because the link models must exist first).
simple_history.register(Article, m2m_fields=["subjects", "organizations"])


class ArticleSearchDocument(models.Model):
    """An article's full-text index on PostgreSQL, kept by database triggers.

    Written by migration 0011's triggers in the same transaction as every
    insert, text change, organization link change and source or organization
    rename, never by the app; absent on SQLite, which searches
    ArticleSearchIndex. A table of its own so that the index's rows are narrow:
    the large vector lives out of line (TOAST), and matching it through its GIN
    index reads neither it nor the articles' text. See coverage_archive/search/postgresql.py.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="search_document", editable=False
    )
    # Every word of the title (weight A), summary and source and organization
    # names (B) and body (C): what a search matches.
    vector = SearchVectorField(editable=False)
    # The title, summary and names only: what results are ranked by. A few
    # hundred bytes, so ranking thousands of matches stays cheap.
    ranking_vector = SearchVectorField(editable=False)

    class Meta:
        # Its GIN index is created by migration 0011 (PostgreSQL only).
        default_permissions = ()

    def __str__(self):
        return str(self.article)


class SearchIndexMatch(models.Lookup):
    """`column MATCH query`: FTS5's full-text match (see ArticleSearchIndex)."""

    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class SearchIndexDocument(models.TextField):
    """FTS5's hidden column named as its table: what MATCH and bm25() are given."""


SearchIndexDocument.register_lookup(SearchIndexMatch)


class ArticleSearchIndex(models.Model):
    """An article's row of SQLite's full-text index (an FTS5 table), kept by database triggers.

    Made by migration 0017 and written by the triggers of coverage_archive/sql/
    search_sqlite.sql in the same transaction as every insert, text change,
    organization link change and source or organization rename, never by the
    app; absent on PostgreSQL. Its columns hold stems (coverage_archive.search.
    sqlite), so the model names only what a search needs: the row's article
    and the table's hidden column, which MATCH and bm25() take.
    """

    article = models.OneToOneField(
        Article,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_index",
        editable=False,
    )
    document = SearchIndexDocument(db_column="coverage_archive_articlesearchindex", editable=False)

    class Meta:
        managed = False  # a virtual table: SQL of its own (coverage_archive/sql/search_sqlite.sql)
        db_table = "coverage_archive_articlesearchindex"
        default_permissions = ()

    def __str__(self):
        return str(self.article)


class FormerSlug(models.Model):
    """A slug a published article used to have: its old address redirects to the current one."""

    slug = models.SlugField(_("former slug"), max_length=200, unique=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="former_slugs", verbose_name=_("article")
    )
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)

    class Meta:
        verbose_name = _("former slug")
        verbose_name_plural = _("former slugs")
        ordering = ["slug", "pk"]

    def __str__(self):
        return f"{self.slug} → {self.article.slug}"

    def get_absolute_url(self):
        return reverse("coverage_archive:article", kwargs={"slug": self.slug})

    @classmethod
    def remember(cls, slug: str, article: Article) -> None:
        """Send ``slug`` to ``article`` from now on; the latest article to give it up wins."""
        cls.objects.update_or_create(slug=slug, defaults={"article": article, "replaced_at": timezone.now()})
        # An article renamed back to an old slug answers at it again, so no redirect is needed.
        cls.objects.filter(article=article, slug=article.slug).delete()


class ImportPreviewQuerySet(models.QuerySet):
    def expired(self):
        return self.filter(created_at__lt=timezone.now() - ImportPreview.LIFETIME)


class ImportPreview(models.Model):
    """A CSV file an editor uploaded in the admin, kept until they apply it.

    In the database rather than on one server's disk, so the preview and the
    apply may be served by different app instances. Deleted once applied, and
    after LIFETIME.
    """

    LIFETIME = datetime.timedelta(hours=6)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255)
    text = models.TextField(_("file contents"))
    create_terms = models.BooleanField(_("create new terms"), default=False)
    # The counts the editor was shown, to notice on apply that the archive changed meanwhile.
    summary = models.JSONField(_("summary"), default=dict)

    objects = ImportPreviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("import preview")
        verbose_name_plural = _("import previews")
        ordering = ["created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("admin:coverage_archive_article_import_preview", kwargs={"preview_id": self.pk})
