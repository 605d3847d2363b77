"""manage.py check_links against the invented loopback site (tests/loopback_site.py)."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from coverage_archive.models import Article
from coverage_archive.preservation import checking
from coverage_archive.preservation.models import LinkCheck, LinkOutcome, LinkState
from tests.factories import ArticleFactory
from tests.loopback_site import LoopbackSite, hanging_port, refusing_port

LOOPBACK_ONLY = ("127.0.0.1/32",)


@pytest.fixture(scope="module")
def site():
    with LoopbackSite() as running:
        running.slow_seconds = 2.0
        yield running


@pytest.fixture(autouse=True)
def loopback_allowed():
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_ONLY):
        yield


def _run(*args):
    out = io.StringIO()
    call_command("check_links", "--per-host-delay", "0", "--timeout", "1", "-v", "2", *args, stdout=out)
    return out.getvalue()


def _checked(site, path):
    article = ArticleFactory(original_url=site.url(path))
    _run()
    return LinkState.objects.get(article=article), article.link_checks.first()


@pytest.mark.django_db
def test_a_working_page_is_fine_and_seen_working(site):
    state, check = _checked(site, "/en/2025/03/05/tenants-learn-their-rights")
    assert state.outcome == LinkOutcome.FINE
    assert state.last_fine_at == state.checked_at
    assert check.status_code == 200 and check.outcome == LinkOutcome.FINE


@pytest.mark.django_db
def test_a_permanent_redirect_is_moved_and_proposes_the_new_url_without_changing_the_piece(site):
    article = ArticleFactory(original_url=site.url("/old-place"))
    _run()
    state = LinkState.objects.get(article=article)
    assert state.outcome == LinkOutcome.MOVED
    assert state.proposed_url == site.url("/new-place")
    article.refresh_from_db()
    assert article.original_url == site.url("/old-place")
    check = article.link_checks.get()
    assert check.redirects == [[301, site.url("/old-place"), site.url("/new-place")]]
    assert check.final_url == site.url("/new-place")


@pytest.mark.django_db
def test_a_temporary_redirect_is_not_moved(site):
    state, check = _checked(site, "/temporarily-elsewhere")
    assert state.outcome == LinkOutcome.FINE
    assert state.proposed_url == ""
    assert check.redirects[0][0] == 302


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/nowhere", "/gone", "/soft-404", "/es/no-encontrada", "/to-home"])
def test_missing_pages_and_soft_404s_are_gone(site, path):
    state, check = _checked(site, path)
    assert state.outcome == LinkOutcome.GONE, check.detail
    assert state.last_fine_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/busy", "/throttled", "/forbidden", "/slow"])
def test_failures_are_failing_counted_and_retried_never_gone(site, path):
    article = ArticleFactory(original_url=site.url(path))
    _run()
    _run("--older-than", "0m")
    state = LinkState.objects.get(article=article)
    assert state.outcome == LinkOutcome.FAILING
    assert state.failures_in_a_row == 2
    assert article.link_checks.count() == 2


@pytest.mark.django_db
def test_a_success_after_failures_resets_the_count(site):
    article = ArticleFactory(original_url=site.url("/busy"))
    _run()
    Article.objects.filter(pk=article.pk).update(original_url=site.url("/bare"))
    _run("--older-than", "0m")
    state = LinkState.objects.get(article=article)
    assert state.outcome == LinkOutcome.FINE and state.failures_in_a_row == 0


@pytest.mark.django_db
def test_a_refused_connection_is_failing_and_said_to_be_unreachable_not_slow(site):
    with refusing_port("127.0.0.5") as port, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.0/8",)):
        article = ArticleFactory(original_url=f"http://127.0.0.5:{port}/bare")
        _run()
    check = article.link_checks.get()
    assert check.outcome == LinkOutcome.FAILING
    assert check.detail == "unreachable: The site could not be reached.", check.detail


@pytest.mark.django_db
def test_a_refused_head_is_asked_again_with_get(site):
    state, check = _checked(site, "/head-refused")
    assert state.outcome == LinkOutcome.FINE
    assert check.method == "GET"
    methods = [method for method, path, _headers in site.requests if path == "/head-refused"]
    assert methods[-2:] == ["HEAD", "GET"]


@pytest.mark.django_db
def test_only_published_pieces_not_checked_recently_are_checked(site):
    fresh = ArticleFactory(original_url=site.url("/bare"))
    stale = ArticleFactory(original_url=site.url("/stories/hotline-volunteers"))
    draft = ArticleFactory(original_url=site.url("/gone"), draft=True)
    now = timezone.now()
    LinkState.objects.create(article=fresh, outcome=LinkOutcome.FINE, checked_at=now - datetime.timedelta(hours=1))
    LinkState.objects.create(article=stale, outcome=LinkOutcome.FINE, checked_at=now - datetime.timedelta(days=8))
    output = _run("--older-than", "7d")
    assert list(LinkCheck.objects.values_list("article", flat=True)) == [stale.pk]
    assert not draft.link_checks.exists()
    assert "Checked 1 link: 1 fine, 0 moved, 0 gone, 0 failing." in output


@pytest.mark.parametrize("value", ["7", "7w", "1y", "soon"])
def test_a_bad_older_than_is_a_clear_error(value):
    with pytest.raises(CommandError, match="is not a duration"):
        call_command("check_links", "--older-than", value)


def test_durations_are_read():
    assert checking.parse_duration("12h") == datetime.timedelta(hours=12)
    assert checking.parse_duration("30m") == datetime.timedelta(minutes=30)


@pytest.mark.django_db(transaction=True)
def test_one_request_at_a_time_per_host_with_the_delay_between(site):
    site.most_in_flight.clear()
    for number in range(6):
        ArticleFactory(original_url=f"http://127.0.0.1:{site.port}/bare?n={number}")
        ArticleFactory(original_url=f"http://localhost:{site.port}/bare?n={number}")
    started = len(site.requests)
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.0/8", "::1/128")):
        call_command("check_links", "--concurrency", "8", "--per-host-delay", "0.05", stdout=io.StringIO())
    assert LinkState.objects.filter(outcome=LinkOutcome.FINE).count() == 12
    assert len(site.requests) - started == 24  # HEAD, then a GET to read the page, per link
    assert site.most_in_flight[f"127.0.0.1:{site.port}"] == 1
    assert site.most_in_flight[f"localhost:{site.port}"] == 1


@pytest.mark.django_db
def test_a_slow_host_keeps_one_thread_and_never_holds_up_the_other_hosts(site):
    # Two links on a host whose pages hang past the timeout, read first; six on a host that answers.
    slow_port = site.also_on("127.0.0.2")
    for number in range(2):
        ArticleFactory(original_url=f"http://127.0.0.2:{slow_port}/slow?n={number}")
    quick = {ArticleFactory(original_url=site.url(f"/report.pdf?n={number}")).pk for number in range(6)}
    order = []
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.0/8",)):
        run = checking.check_links(
            concurrency=2, per_host_delay=0, timeout=1.5, on_result=lambda result: order.append(result.article_id)
        )
    assert run.counts == {LinkOutcome.FINE: 6, LinkOutcome.FAILING: 2}
    # The slow host's first link takes its whole timeout in one thread; the other thread checks the
    # answering host's links meanwhile, instead of waiting behind the slow host's second link.
    assert set(order[:6]) == quick, order


@pytest.mark.django_db
def test_a_hosts_links_beyond_what_may_wait_are_left_for_a_later_pass_and_each_checked_once(site, monkeypatch):
    # At most two links of a host wait, four in all; a host with seven links is read first.
    monkeypatch.setattr(checking, "PER_HOST_WAITING", 2)
    monkeypatch.setattr(checking, "READ_AHEAD", 4)
    large = [ArticleFactory(original_url=site.url(f"/report.pdf?n={number}")).pk for number in range(7)]
    other_port = site.also_on("127.0.0.3")
    small = [ArticleFactory(original_url=f"http://127.0.0.3:{other_port}/report.pdf?n={n}").pk for n in range(3)]
    order = []
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.0/8",)):
        checking.check_links(
            older_than=datetime.timedelta(0),
            concurrency=1,
            per_host_delay=0,
            on_result=lambda result: order.append(result.article_id),
        )
    # Every link once, in several passes, though each check makes it due again at once.
    assert sorted(order) == sorted(large + small)
    assert LinkCheck.objects.count() == 10
    # The large host's backlog did not hold the small host's links back until its end.
    assert set(small) <= set(order[:6]), order


# --- Giving up on a host that does not answer, for the rest of a run ---------------------------------

LOOPBACK_NETWORK = ("127.0.0.0/8",)


def _links(base, count, path="/bare"):
    return [ArticleFactory(original_url=f"{base}{path}?n={number}") for number in range(count)]


@pytest.mark.django_db
def test_a_hanging_host_is_given_up_after_three_timeouts_and_its_other_links_wait_for_the_next_run(site):
    with hanging_port("127.0.0.2") as port, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        hanging = _links(f"http://127.0.0.2:{port}", 5)
        answering = _links(site.url(""), 2)
        # A link of the hanging host checked long ago, and seen working then.
        long_ago = timezone.now() - datetime.timedelta(days=30)
        LinkState.objects.create(
            article=hanging[4], outcome=LinkOutcome.FINE, checked_at=long_ago, last_fine_at=long_ago
        )
        output = _run()  # the default: three in a row
        assert "Checked 5 links: 2 fine, 0 moved, 0 gone, 3 failing." in output
        assert "Skipped 2 links of 127.0.0.2, not asked in this run: 3 of its links in a row got no answer" in output
        # The first three were asked, each until the timeout; the others were not, and keep their state.
        assert [a.link_checks.count() for a in hanging] == [1, 1, 1, 0, 0]
        assert not LinkState.objects.filter(article=hanging[3]).exists()
        state = LinkState.objects.get(article=hanging[4])
        assert (state.outcome, state.checked_at, state.failures_in_a_row) == (LinkOutcome.FINE, long_ago, 0)
        assert all(LinkState.objects.get(article=a).outcome == LinkOutcome.FINE for a in answering)
        # They are still due: the next run asks them (and only them), and finds them failing.
        _run()
    assert [a.link_checks.count() for a in hanging] == [1, 1, 1, 1, 1]
    assert LinkState.objects.get(article=hanging[4]).outcome == LinkOutcome.FAILING
    assert not LinkCheck.objects.filter(outcome=LinkOutcome.GONE).exists()


@pytest.mark.django_db
def test_a_refusing_host_is_given_up_after_host_failures_and_asked_again_once_it_answers(site):
    with refusing_port("127.0.0.5") as port, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        links = _links(f"http://127.0.0.5:{port}", 4)
        output = _run("--host-failures", "2")
        assert "Checked 2 links: 0 fine, 0 moved, 0 gone, 2 failing." in output
        assert "Skipped 2 links of 127.0.0.5" in output
        assert "could not be reached" in links[0].link_checks.get().detail
    # The host answers again, at the same address and port: the links left are asked and fine.
    site.also_on("127.0.0.5", port)
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        output = _run("--host-failures", "2")
    assert "Checked 2 links: 2 fine, 0 moved, 0 gone, 0 failing." in output and "Skipped" not in output
    assert [LinkState.objects.get(article=a).outcome for a in links] == ["failing", "failing", "fine", "fine"]


@pytest.mark.django_db
def test_an_answer_even_a_server_error_starts_the_hosts_count_again(site):
    # A host that hangs, answers, hangs, answers 503, hangs, answers: never two in a row unanswered.
    port = site.also_on("127.0.0.4")
    paths = ["/slow", "/bare", "/slow", "/busy", "/slow", "/bare"]
    links = [ArticleFactory(original_url=f"http://127.0.0.4:{port}{path}?n={n}") for n, path in enumerate(paths)]
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        output = _run("--host-failures", "2")
    assert "Checked 6 links: 2 fine, 0 moved, 0 gone, 4 failing." in output and "Skipped" not in output
    assert all(link.link_checks.count() == 1 for link in links)


@pytest.mark.django_db
def test_a_host_that_answers_with_a_redirect_to_a_host_that_does_not_is_not_given_up(site):
    with refusing_port("127.0.0.6") as port, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        site.routes["/elsewhere"] = lambda handler: handler._send(
            302, headers=[("Location", f"http://127.0.0.6:{port}/story")]
        )
        try:
            links = _links(site.url(""), 3, path="/elsewhere")
            output = _run("--host-failures", "2")
        finally:
            del site.routes["/elsewhere"]
    assert "Checked 3 links: 0 fine, 0 moved, 0 gone, 3 failing." in output and "Skipped" not in output
    assert all(link.link_checks.get().redirects[0][0] == 302 for link in links)


@pytest.mark.django_db
def test_host_failures_zero_never_gives_up(site):
    with refusing_port("127.0.0.7") as port, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_NETWORK):
        _links(f"http://127.0.0.7:{port}", 4)
        output = _run("--host-failures", "0")
    assert "Checked 4 links: 0 fine, 0 moved, 0 gone, 4 failing." in output and "Skipped" not in output


@pytest.mark.parametrize("value", ["-1", "three", "2.5"])
def test_a_bad_host_failures_is_a_clear_error(value):
    with pytest.raises(CommandError, match="is not a whole number"):
        call_command("check_links", "--host-failures", value)


# --- The admin: the list by link state, when last seen working, and the proposed new URL ------------

ARTICLES = "/admin/coverage_archive/article/"


def _state(article, outcome, **fields):
    now = timezone.now()
    return LinkState.objects.create(article=article, outcome=outcome, checked_at=now, **fields)


@pytest.mark.django_db
def test_the_article_list_filters_by_link_state_and_shows_when_last_seen_working(client, editor):
    fine = ArticleFactory(title="Synthetic fine piece")
    gone = ArticleFactory(title="Synthetic gone piece")
    unchecked = ArticleFactory(title="Synthetic unchecked piece")
    _state(fine, LinkOutcome.FINE, last_fine_at=timezone.make_aware(datetime.datetime(2025, 3, 5, 12)))
    _state(gone, LinkOutcome.GONE)
    client.force_login(editor)
    listed = client.get(ARTICLES).content.decode()
    assert "Last seen working" in listed and "never" in listed
    assert '<td class="field-last_seen_working">2025-03-05</td>' in listed
    for value, shown, hidden in [("gone", gone, fine), ("fine", fine, gone), ("unchecked", unchecked, gone)]:
        page = client.get(ARTICLES, {"link_state": value}).content.decode()
        assert shown.title in page and hidden.title not in page, value


@pytest.mark.django_db
def test_the_link_state_filter_comes_before_the_long_lists_of_subjects_and_sources(client, editor):
    ArticleFactory.create_batch(2)  # two subjects and two sources, so their filters show
    client.force_login(editor)
    page = client.get(ARTICLES).content.decode()
    titles = re.findall(r'data-filter-title="([^"]*)"', page)
    assert titles.index("link state") < titles.index("subjects") < titles.index("source"), titles


@pytest.mark.django_db
def test_the_list_asks_the_same_number_of_queries_however_many_links_were_checked(
    client, editor, django_assert_max_num_queries
):
    client.force_login(editor)
    for _n in range(3):
        _state(ArticleFactory(), LinkOutcome.FINE, last_fine_at=timezone.now())
    with django_assert_max_num_queries(30) as few:
        client.get(ARTICLES)
    for _n in range(10):
        _state(ArticleFactory(), LinkOutcome.FINE, last_fine_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(ARTICLES)


@pytest.mark.django_db
def test_an_editor_uses_a_proposed_new_url_recorded_in_the_history(client, editor):
    moved = ArticleFactory(title="Synthetic moved piece", original_url="https://ledger.example/old")
    _state(moved, LinkOutcome.MOVED, proposed_url="https://ledger.example/new")
    fine = ArticleFactory(title="Synthetic fine piece", original_url="https://ledger.example/fine")
    _state(fine, LinkOutcome.FINE)
    client.force_login(editor)
    answer = client.post(ARTICLES, {"action": "use_proposed_url", "_selected_action": [moved.pk, fine.pk]}, follow=True)
    assert "Used the proposed new URL of 1 article." in answer.content.decode()
    moved.refresh_from_db()
    fine.refresh_from_db()
    assert moved.original_url == "https://ledger.example/new"
    assert fine.original_url == "https://ledger.example/fine"
    entry = moved.history.latest()
    assert entry.history_user == editor and entry.history_change_reason.startswith("Original moved")
    state = LinkState.objects.get(article=moved)
    assert state.proposed_url == "" and state.outcome == LinkOutcome.FINE


@pytest.mark.django_db
def test_a_proposed_url_that_is_another_pieces_original_is_not_used(client, editor):
    ArticleFactory(title="Synthetic piece at the new place", original_url="https://ledger.example/new")
    moved = ArticleFactory(title="Synthetic moved piece", original_url="https://ledger.example/old")
    _state(moved, LinkOutcome.MOVED, proposed_url="https://ledger.example/new")
    client.force_login(editor)
    answer = client.post(ARTICLES, {"action": "use_proposed_url", "_selected_action": [moved.pk]}, follow=True)
    assert "is already another piece" in answer.content.decode()
    moved.refresh_from_db()
    assert moved.original_url == "https://ledger.example/old"
    unproposed = ArticleFactory(title="Synthetic piece without a proposal")
    none = client.post(ARTICLES, {"action": "use_proposed_url", "_selected_action": [unproposed.pk]}, follow=True)
    assert "None of the selected articles has a proposed new URL" in none.content.decode()
