"""Writing a checked import plan: new terms, articles and their links (apply_plan)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from coverage_archive.history import CHANGED, CREATED, record_article_changes
from coverage_archive.importing.checking import BATCH_SIZE, ImportPlan, Term, batches
from coverage_archive.models import RESERVED_ARTICLE_SLUGS, Article, FormerSlug
from coverage_archive.taxonomies import IN_ARTICLE_ORDER

# The taxonomies an article holds in a foreign key, and those it links to through a model.
KEYED = [taxonomy for taxonomy in IN_ARTICLE_ORDER if taxonomy.link_model is None]
LINKED = [taxonomy for taxonomy in IN_ARTICLE_ORDER if taxonomy.link_model is not None]
BY_ARTICLE_FIELD = {taxonomy.article_field: taxonomy for taxonomy in IN_ARTICLE_ORDER}


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    terms_created: int


def _slug_base(text: str, model) -> str:
    """The start of a new slug for ``text``: short enough to leave room for a "-2" after it."""
    limit = model._meta.get_field("slug").max_length * 9 // 10
    return slugify(text)[:limit].strip("-")


def _first_free(base: str, taken: set) -> str:
    """``base``, or ``base-2``, ``base-3`` … : the first not in ``taken``, which then holds it."""
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def unique_slugs(titles: list) -> list:
    """A new, unused slug for each title, in order."""
    bases = [_slug_base(title, Article) or "article" for title in titles]
    taken = set(RESERVED_ARTICLE_SLUGS)
    for batch in batches(set(bases)):
        taken.update(Article.objects.filter(slug__in=batch).values_list("slug", flat=True))
        taken.update(FormerSlug.objects.filter(slug__in=batch).values_list("slug", flat=True))
    counts = defaultdict(int)
    for base in bases:
        counts[base] += 1
    crowded = {base for base in bases if base in taken or counts[base] > 1}
    for base in crowded:
        taken.update(Article.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
        taken.update(FormerSlug.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
    return [_first_free(base, taken) for base in bases]


def new_term(model, name: str, taken: set, *, user=None, **fields):
    """Save a new term named ``name`` with the first free slug (``taken`` holds the slugs in use)."""
    name = name[: model._meta.get_field("name").max_length]
    slug = _first_free(_slug_base(name, model) or model._meta.model_name, taken)
    term = model(name=name, slug=slug, **fields)
    term._history_user = user
    term.save()  # one at a time, so each new term's history is recorded
    return term


def _create_terms(plan: ImportPlan, checker_terms, user) -> int:
    created = 0
    for model, names in plan.new_terms.items():
        taken = set(model.objects.values_list("slug", flat=True))
        for name in names:
            checker_terms[(model, name.casefold())] = new_term(model, name, taken, user=user)
            created += 1
    return created


def _insert_links(model, term_field: str, pairs: list) -> None:
    """Insert (article id, term id) links, many rows per statement.

    The link models hold nothing else, and building 100,000 model instances
    for bulk_create() costs more than the inserts themselves.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in ("article", term_field)
    )
    with connection.cursor() as cursor:
        for batch in batches(pairs, 400):  # 800 parameters: within SQLite's limit of 999
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join(['(%s, %s)'] * len(batch))}",
                [value for pair in batch for value in pair],
            )


def apply_plan(plan: ImportPlan, *, user=None, progress: Callable | None = None) -> ImportResult:
    """Write a checked plan, all or nothing. Call inside transaction.atomic()."""
    if not plan.is_valid:
        raise ValueError("An import with errors cannot be applied.")
    now = timezone.now()
    reason = f"Imported from {plan.file_name}" if plan.file_name else "Imported from CSV"
    new_terms = {}
    terms_created = _create_terms(plan, new_terms, user)

    def resolve(term: Term | None):
        if term is None:
            return None
        return term.instance if term.instance is not None else new_terms[term.key]

    def linked(article, row, taxonomy):
        return [(article.pk, resolve(term).pk) for term in row.terms[taxonomy.key]]

    # New articles.
    slugs = unique_slugs([row.title for row in plan.to_create])
    articles = []
    for row, slug in zip(plan.to_create, slugs, strict=True):
        values = dict(row.values)
        status = values.pop("status", None) or Article.Status.DRAFT
        keyed = {
            taxonomy.article_field: resolve(row.terms[taxonomy.key]) for taxonomy in KEYED if taxonomy.key in row.terms
        }
        article = Article(
            slug=slug,
            status=status,
            published_at=now if status == Article.Status.PUBLISHED else None,
            created_by=user,
            updated_by=user,
            **keyed,
            **values,
        )
        article.original_url_normalized = row.normalized_url  # normalize_url(), computed while checking
        articles.append(article)
    for index, batch in enumerate(batches(articles), start=1):
        Article.objects.bulk_create(batch)
        if progress:
            progress("created", min(index * BATCH_SIZE, len(articles)), len(articles))
    links = {taxonomy.key: [] for taxonomy in LINKED}  # (article id, term id) pairs to insert
    for row, article in zip(plan.to_create, articles, strict=True):
        for taxonomy in LINKED:
            if taxonomy.key in row.terms:
                links[taxonomy.key] += linked(article, row, taxonomy)

    # Changed articles.
    changed = []
    relinked = {taxonomy.key: [] for taxonomy in LINKED}  # ids of the articles whose links are replaced
    update_fields = {"updated_at", "updated_by"}
    for row in plan.to_update:
        article = row.article
        for name in row.changes:
            taxonomy = BY_ARTICLE_FIELD.get(name)
            if taxonomy is not None and taxonomy.link_model is not None:
                relinked[taxonomy.key].append(article.pk)
                links[taxonomy.key] += linked(article, row, taxonomy)
                continue
            if taxonomy is not None:
                setattr(article, name, resolve(row.terms[taxonomy.key]))
            elif name == "status":
                article.status = row.values["status"]
                if article.status == Article.Status.PUBLISHED and article.published_at is None:
                    article.published_at = now
                    update_fields.add("published_at")
            else:
                setattr(article, name, row.values[name])
                if name == "original_url":
                    article.original_url_normalized = row.normalized_url
                    update_fields.add("original_url_normalized")
            update_fields.add(name)
        article.updated_at = now
        article.updated_by = user
        changed.append(article)
    if changed:
        Article.objects.bulk_update(changed, sorted(update_fields), batch_size=BATCH_SIZE)
    for taxonomy in LINKED:
        for batch in batches(relinked[taxonomy.key]):
            taxonomy.link_model.objects.filter(article_id__in=batch).delete()
    for taxonomy in LINKED:
        _insert_links(taxonomy.link_model, taxonomy.term_field, links[taxonomy.key])

    # bulk_create and bulk_update record no history by themselves.
    record_article_changes(articles, CREATED, user=user, reason=reason)
    record_article_changes(changed, CHANGED, user=user, reason=reason)
    return ImportResult(len(articles), len(changed), len(plan.unchanged), terms_created)
