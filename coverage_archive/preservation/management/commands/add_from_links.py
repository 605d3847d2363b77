from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from coverage_archive.models import ItemType
from coverage_archive.preservation import adding


class Command(BaseCommand):
    help = (
        "Make a draft from each link: fetch the page, keep a capture of it and fill a draft from it "
        "(title, byline, date, source, language, summary, text). Nothing is published: an editor reviews "
        f"each draft in the admin. At most {adding.MAX_LINKS} links a run. Exit status 1 if any link failed. "
        "See README, “Adding coverage from a link”."
    )

    def add_arguments(self, parser):
        parser.add_argument("links", nargs="*", metavar="URL", help="Links to add.")
        parser.add_argument("--file", type=Path, help="A text file of links, one a line.")
        parser.add_argument("--user", help="The username the drafts are recorded under in the history.")
        parser.add_argument(
            "--type",
            dest="type_slug",
            help=f"The slug of the drafts' type (default: {adding.DEFAULT_TYPE_SLUG}, else the first type).",
        )
        parser.add_argument(
            "--create-sources",
            action="store_true",
            help="Add the page's outlet as a new source when the archive has none matching "
            "(otherwise such a link is refused).",
        )

    def handle(self, *args, links, file=None, user=None, type_slug=None, create_sources=False, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named “{user}”.") from None
        item_type = None
        if type_slug:
            item_type = ItemType.objects.filter(slug=type_slug).first()
            if item_type is None:
                raise CommandError(f"No type with the slug “{type_slug}”.")
        if file:
            try:
                links = [*links, *adding.links_in(file.read_text(encoding="utf-8"))]
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read {file}: {error}.") from None
        links = adding.links_in("\n".join(links))
        if not links:
            raise CommandError("Give at least one link, or --file.")
        if len(links) > adding.MAX_LINKS:
            raise CommandError(f"{len(links)} links: at most {adding.MAX_LINKS} a run.")
        adding.discard_stale_proposals()
        failed = 0
        for link in links:
            outcome = adding.propose(link, user=account)
            if outcome.kind == "proposed":
                outcome = self._draft(outcome, account, item_type, create_sources)
            failed += outcome.failed
            self.stdout.write(self._line(outcome))
        if failed:
            raise CommandError(f"{failed} of {len(links)} links failed.", returncode=1)

    def _draft(self, outcome, account, item_type, create_sources):
        capture = outcome.capture
        new_name = ""
        if outcome.source is None:
            new_name = adding.proposed_source_name(capture.proposal)
            if not create_sources:
                adding.discard(capture)
                return adding.Outcome(
                    outcome.url,
                    "refused",
                    f"Its source “{new_name}” is not in the archive: add it in the admin, "
                    "or run again with --create-sources.",
                )
        made = adding.make_draft(
            capture, user=account, source=outcome.source, new_source_name=new_name, item_type=item_type
        )
        if made.failed:
            adding.discard(capture)
        return made

    @staticmethod
    def _line(outcome) -> str:
        if outcome.kind == "draft":
            notes = " ".join(outcome.notes)
            return (
                f"{outcome.url}: draft created, “{outcome.article.title}” ({outcome.source.name}), "
                f"{adding.admin_url(outcome.article)}" + (f" — {notes}" if notes else "")
            )
        if outcome.kind == "duplicate":
            where = adding.admin_url(outcome.article)
            return f"{outcome.url}: already in the archive as “{outcome.article.title}”, {where}"
        return f"{outcome.url}: refused: {outcome.message}"
