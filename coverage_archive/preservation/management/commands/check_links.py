from django.core.management.base import BaseCommand, CommandError

from coverage_archive.preservation import checking


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise CommandError(f"“{text}” is not a whole number of at least 1.")
    return value


def _count(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise CommandError(f"“{text}” is not a whole number (0 or more).")
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value < 0:
        raise CommandError(f"“{text}” is not a number of seconds.")
    return value


class Command(BaseCommand):
    help = (
        "Check the original links of published pieces not checked within --older-than: each is fine, moved "
        "(a permanent redirect: the new address is proposed to an editor, never applied), gone (404/410 or a "
        "soft 404) or failing (retried on the next run). Every check is kept. A host that does not answer "
        "--host-failures times in a row is not asked again in the run: its other links wait for the next. "
        "Meant for a schedule; see README, “Checking original links”."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", default="7d", help="Check links not checked within this: 7d, 12h, 30m (default 7d)."
        )
        parser.add_argument(
            "--concurrency",
            default=str(checking.DEFAULT_CONCURRENCY),
            help="Links checked at once (default %(default)s).",
        )
        parser.add_argument(
            "--per-host-delay",
            default=str(checking.DEFAULT_PER_HOST_DELAY),
            help="Seconds between two requests to the same host; one at a time per host (default %(default)s).",
        )
        parser.add_argument(
            "--timeout",
            default=str(checking.DEFAULT_TIMEOUT),
            help="Seconds for each request, redirects included (default %(default)s).",
        )
        parser.add_argument(
            "--host-failures",
            default=str(checking.DEFAULT_HOST_FAILURES),
            help=(
                "Give up on a host for the rest of the run after this many of its links in a row got no answer "
                "(a timeout, a refused or reset connection); its other links are left for the next run. "
                "0: never give up (default %(default)s)."
            ),
        )
        parser.add_argument("--limit", help="Check at most this many links.")

    def handle(self, *args, older_than, concurrency, per_host_delay, timeout, host_failures, limit=None, **options):
        try:
            age = checking.parse_duration(older_than)
        except ValueError as error:
            raise CommandError(str(error)) from None
        verbosity = options.get("verbosity", 1)
        give_up_after = _count(host_failures)

        def report(result):
            if verbosity >= 2:
                line = f"{result.outcome:8} {result.status_code or '-':>3} {result.url}"
                if result.detail:
                    line += f" ({result.detail})"
                if result.proposed_url:
                    line += f" → {result.proposed_url}"
                self.stdout.write(line)

        run = checking.check_links(
            older_than=age,
            concurrency=_positive_int(concurrency),
            per_host_delay=_seconds(per_host_delay),
            timeout=_seconds(timeout) or checking.DEFAULT_TIMEOUT,
            host_failures=give_up_after,
            limit=_positive_int(limit) if limit is not None else None,
            on_result=report,
        )
        if verbosity >= 1:
            counts = run.counts
            total = sum(counts.values())
            parts = ", ".join(f"{counts.get(outcome, 0)} {outcome}" for outcome in checking.LinkOutcome.values)
            self.stdout.write(self.style.SUCCESS(f"Checked {total} {'link' if total == 1 else 'links'}: {parts}."))
            for host, left in sorted(run.gave_up.items()):
                if left:
                    self.stdout.write(
                        self.style.WARNING(
                            f"Skipped {left} {'link' if left == 1 else 'links'} of {host}, not asked in this run: "
                            f"{give_up_after} of its links in a row got no answer (timed out or refused). "
                            "They are left as they were, for the next run."
                        )
                    )
