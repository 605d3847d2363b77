import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Length
from django.utils import timezone

from coverage_archive.models import (
    Article,
    ArticleOrganization,
    ArticleSubject,
    ItemType,
    Organization,
    Source,
    Subject,
)
from coverage_archive.synthetic import LANGUAGES, SyntheticArchive

SYNTHETIC_SLUG_PREFIX = "synthetic-"


class Command(BaseCommand):
    help = (
        'Add N visibly synthetic articles ("Synthetic article 123" from "Synthetic Source 4") for demos '
        "and benchmarks, in batches. Refuses to run on an archive holding real coverage unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, required=True, help="How many articles to add.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Articles per transaction.")
        parser.add_argument("--seed", type=int, default=2018, help="Random seed (the same seed, the same data).")
        parser.add_argument("--sources", type=int, default=300)
        parser.add_argument("--subjects", type=int, default=40)
        parser.add_argument("--organizations", type=int, default=1500)
        parser.add_argument(
            "--force", action="store_true", help="Add synthetic articles even beside real (non-synthetic) coverage."
        )
        parser.add_argument(
            "--first-number",
            type=int,
            help='Number the new articles from this N ("Synthetic article N") instead of after the highest, so that '
            "several processes can seed one database at once, each from its own range.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args, **options):
        count, batch_size = options["articles"], options["batch_size"]
        if count < 1 or batch_size < 1 or (options["first_number"] is not None and options["first_number"] < 1):
            raise CommandError("--articles, --batch-size and --first-number must be at least 1.")
        # Synthetic: numbered by this command, from one of its sources (a slug alone could be an editor's).
        real = Article.objects.exclude(
            slug__regex=rf"^{SYNTHETIC_SLUG_PREFIX}article-[0-9]+$",
            source__slug__startswith=f"{SYNTHETIC_SLUG_PREFIX}source-",
        ).count()
        if real and not options["force"]:
            raise CommandError(
                f"This archive holds {real} real (non-synthetic) article(s); synthetic data would mix with them. "
                "Use an empty database, or --force if you really mean it."
            )
        if options["dry_run"]:
            self.stdout.write(f"Would add {count} synthetic articles in batches of {batch_size}.")
            return

        generator = SyntheticArchive(
            options["seed"], options["sources"], options["subjects"], options["organizations"], types=6
        )
        with transaction.atomic():
            sources = self._terms(Source, "Source", options["sources"], homepage=True)
            subjects = self._terms(Subject, "Subject", options["subjects"])
            organizations = self._terms(Organization, "Organization", options["organizations"])
            types = self._terms(ItemType, "Type", 6)
        start = options["first_number"] or self._next_article_number()
        published_at = timezone.now() - datetime.timedelta(days=1)
        began = time.monotonic()
        for offset in range(0, count, batch_size):
            size = min(batch_size, count - offset)
            try:
                with transaction.atomic():
                    self._batch(generator, start + offset, size, sources, subjects, organizations, types, published_at)
            except IntegrityError:
                raise CommandError(
                    f"Articles numbered {start + offset} to {start + offset + size - 1} clash with existing ones; "
                    f"the {offset:,} added before them are kept. Choose another --first-number."
                ) from None
            done = offset + size
            if options["verbosity"] >= 1:
                rate = done / max(time.monotonic() - began, 1e-9)
                self.stdout.write(f"{done:>9,} / {count:,} articles ({rate:,.0f} a second)")
        self.stdout.write(self.style.SUCCESS(f"Added {count:,} synthetic articles."))

    def _next_article_number(self):
        """One past the highest N of the existing "synthetic-article-N" slugs."""
        prefix = f"{SYNTHETIC_SLUG_PREFIX}article-"
        last = (
            Article.objects.filter(slug__regex=rf"^{prefix}[0-9]+$")
            .annotate(length=Length("slug"))
            .order_by("-length", "-slug")
            .values_list("slug", flat=True)
            .first()
        )
        return int(last.removeprefix(prefix)) + 1 if last else 1

    def _terms(self, model, kind, count, homepage=False):
        existing = {term.slug: term for term in model.objects.filter(slug__startswith=SYNTHETIC_SLUG_PREFIX)}
        missing = []
        for number in range(1, count + 1):
            slug = f"synthetic-{kind.lower()}-{number}"
            if slug not in existing:
                fields = {"name": f"Synthetic {kind} {number}", "slug": slug}
                if homepage:
                    fields["homepage_url"] = f"https://source-{number}.example.org/"
                missing.append(model(**fields))
        model.objects.bulk_create(missing)
        return list(model.objects.filter(slug__startswith=f"synthetic-{kind.lower()}-").order_by("pk"))[:count]

    def _batch(self, generator, first_number, size, sources, subjects, organizations, types, published_at):
        articles, subject_ids, organization_ids = [], [], []
        for number in range(first_number, first_number + size):
            language = generator.choice(LANGUAGES)
            date, precision = generator.date()
            words = generator.random.randint(200, 500)
            articles.append(
                Article(
                    title=f"Synthetic article {number}: {generator.text(language, 6).rstrip('.')}",
                    slug=f"synthetic-article-{number}",
                    source=generator.pick(sources, generator.source_weights)[0],
                    item_type=generator.pick(types, generator.type_weights)[0],
                    publication_date=date,
                    date_precision=precision,
                    language=language,
                    summary=generator.text(language, 30),
                    body=generator.text(language, words),
                    status=Article.Status.PUBLISHED,
                    published_at=published_at,
                )
            )
            drawn_subjects = generator.pick(subjects, generator.subject_weights, k=3)[: 1 + number % 3]
            subject_ids.append({subject.pk for subject in drawn_subjects})
            organization_ids.append(
                {o.pk for o in generator.pick(organizations, generator.organization_weights, k=number % 5)}
            )
        # The links go in before their articles (the foreign keys are checked at commit), so
        # the search triggers index each new article once, names included, instead of
        # indexing it on insert and again when its organizations are linked.
        for article, number in zip(articles, self._reserve_ids(len(articles)), strict=True):
            article.pk = number
        ArticleSubject.objects.bulk_create(
            ArticleSubject(article_id=article.pk, subject_id=subject)
            for article, chosen in zip(articles, subject_ids, strict=True)
            for subject in chosen
        )
        ArticleOrganization.objects.bulk_create(
            ArticleOrganization(article_id=article.pk, organization_id=organization)
            for article, chosen in zip(articles, organization_ids, strict=True)
            for organization in chosen
        )
        Article.objects.bulk_create(articles)

    def _reserve_ids(self, count):
        """Ids for `count` new articles, taken from the table's sequence on PostgreSQL."""
        table = Article._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
                )
                return [number for (number,) in cursor.fetchall()]
            # SQLite: one writer at a time, inside this batch's transaction.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            (last,) = cursor.fetchone()
            return list(range(last + 1, last + 1 + count))
