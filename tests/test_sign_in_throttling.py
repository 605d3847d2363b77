"""Failed sign-ins are throttled and locked out per username and per address (django-axes), with
an admin-styled page saying when to try again that is the same whether or not the username exists;
a superuser can unlock; the records last no longer than the lockout."""

import datetime
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coverage_archive.accounts.lockout import client_ip_address
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's
# Documentation addresses (RFC 5737): only ever strings in a request's META here.
ADDRESS_A, ADDRESS_B, PROXY = "192.0.2.10", "198.51.100.20", "203.0.113.1"


@pytest.fixture
def staff(db):
    return UserFactory(username="editor", is_staff=True)


def sign_in(username, password, address=ADDRESS_A, client=None, **extra):
    client = client or Client()
    response = client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )
    return client, response


def signed_in(client):
    return SESSION_KEY in client.session


def fail(times, username="editor", address=ADDRESS_A, **extra):
    responses = [sign_in(username, "wrong password", address, **extra)[1] for _ in range(times)]
    return responses[-1]


def test_a_wrong_password_is_answered_with_the_form_until_the_fifth_which_locks_out(staff):
    fourth = fail(4)
    fifth = sign_in("editor", "wrong password")[1]
    client, right = sign_in("editor", PASSWORD)

    assert fourth.status_code == 200
    assert "Please enter the correct username and password" in fourth.content.decode()
    assert fifth.status_code == 429
    assert right.status_code == 429  # the right password no longer works
    assert not signed_in(client)
    assert 14 * 60 <= int(right["Retry-After"]) <= 15 * 60


def test_the_lockout_page_says_what_happened_and_when_to_try_again_in_the_admins_style(staff):
    response = fail(5, "zelda-synthetic")
    content = response.content.decode()
    ends = AccessAttempt.objects.get().attempt_time + datetime.timedelta(minutes=15)

    assert response["Content-Type"].startswith("text/html")
    assert "Signing in is paused" in content
    assert "There have been 5 failed sign-ins with this username or from this address." in content
    assert f"Try again after {timezone.localtime(ends):%H:%M} (UTC), in about 15 minutes." in content
    assert 'id="site-name"' in content and "admin/css/login.css" in content  # the admin's page and style
    assert "zelda" not in content  # it does not repeat the username


def test_the_lockout_is_the_same_for_a_username_that_exists_and_one_that_does_not(staff):
    existing = fail(5, "editor", ADDRESS_A)
    missing = fail(5, "nobody-by-this-name", ADDRESS_B)
    fourth_existing = fail(4, "editor", PROXY)  # already locked by username: 429 from the first
    AccessAttempt.objects.all().delete()
    wrong_existing, wrong_missing = fail(1, "editor"), fail(1, "nobody-by-this-name", ADDRESS_B)

    def without_times_and_tokens(response):
        text = re.sub(r"\d{1,2}:\d{2}", "HH:MM", response.content.decode())
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert existing.status_code == missing.status_code == fourth_existing.status_code == 429
    assert without_times_and_tokens(existing) == without_times_and_tokens(missing)
    assert (
        existing["Retry-After"] == missing["Retry-After"]
        or abs(int(existing["Retry-After"]) - int(missing["Retry-After"])) <= 2
    )
    assert wrong_existing.status_code == wrong_missing.status_code == 200
    assert without_times_and_tokens(wrong_existing).replace('value="editor"', 'value="X"') == (
        without_times_and_tokens(wrong_missing).replace('value="nobody-by-this-name"', 'value="X"')
    )


def test_an_address_is_locked_out_after_five_failures_whatever_the_usernames(staff):
    for number in range(5):
        fail(1, f"guess-{number}", ADDRESS_A)

    _, from_a = sign_in("editor", PASSWORD, ADDRESS_A)
    client, from_b = sign_in("editor", PASSWORD, ADDRESS_B)

    assert from_a.status_code == 429
    assert from_b.status_code == 302 and signed_in(client)


def test_a_username_is_locked_out_after_five_failures_from_any_addresses(staff):
    for number in range(5):
        fail(1, "editor", f"192.0.2.{100 + number}")

    client, response = sign_in("editor", PASSWORD, ADDRESS_B)

    assert response.status_code == 429
    assert not signed_in(client)


def test_a_successful_sign_in_clears_the_failures(staff):
    fail(4)
    client, response = sign_in("editor", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.exists()

    assert fail(4).status_code == 200  # counting starts again


def test_attempts_during_a_lockout_neither_count_nor_extend_it(staff):
    fail(5)
    first = AccessAttempt.objects.get()

    fail(3)

    again = AccessAttempt.objects.get()
    assert (again.failures_since_start, again.attempt_time) == (5, first.attempt_time)


def test_the_lockout_ends_after_fifteen_minutes_and_its_record_goes(staff):
    fail(5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=15, seconds=1))

    client, response = sign_in("editor", PASSWORD)

    assert response.status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.exists()


def test_no_record_outlives_its_lockout_even_without_another_sign_in(staff):
    fail(2, "editor", ADDRESS_A)
    fail(1, "someone-else", ADDRESS_B)
    AccessAttempt.objects.filter(username="editor").update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    call_command("delete_expired_sign_in_attempts", verbosity=0)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone-else"]
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    Client().get(reverse("admin:login"))  # opening the sign-in page cleans up too
    assert not AccessAttempt.objects.exists()


def test_no_log_of_sign_ins_or_failures_is_kept(staff):
    fail(2)
    sign_in("editor", PASSWORD)

    assert not AccessLog.objects.exists()
    assert not AccessFailureLog.objects.exists()
    assert not AccessAttempt.objects.exists()


def test_a_failed_attempt_keeps_no_password(staff):
    fail(1)

    attempt = AccessAttempt.objects.get()
    assert "wrong password" not in attempt.post_data
    assert "wrong password" not in attempt.get_data


def test_a_superuser_unlocks_a_username_with_the_command(staff):
    fail(5, "editor", ADDRESS_A)

    call_command("axes_reset_username", "editor", verbosity=0)
    client, response = sign_in("editor", PASSWORD, ADDRESS_B)

    assert response.status_code == 302 and signed_in(client)


def test_a_superuser_unlocks_in_the_admin_and_editors_cannot(staff, client):
    fail(5, "editor", ADDRESS_A)
    attempt = AccessAttempt.objects.get()
    editor = UserFactory(username="group-editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    delete_url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])

    client.force_login(editor)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    client.post(delete_url, {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert sign_in("editor", PASSWORD, ADDRESS_A)[1].status_code == 302


# --- Which address a sign-in comes from ----------------------------------------------------------


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(staff):
    for number in range(5):
        fail(1, f"guess-{number}", ADDRESS_A, HTTP_X_FORWARDED_FOR=f"192.0.2.{200 + number}")

    assert sign_in("editor", PASSWORD, ADDRESS_A, HTTP_X_FORWARDED_FOR=ADDRESS_B)[1].status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_used(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(5):
        # The client also sends its own X-Forwarded-For; the proxy appends the address it saw.
        fail(1, f"guess-{number}", PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{200 + number}, {ADDRESS_A}")

    _, from_a = sign_in("editor", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_A)
    client, from_b = sign_in("editor", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_B)

    assert from_a.status_code == 429
    assert from_b.status_code == 302 and signed_in(client)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.7", PROXY),
        (1, "192.0.2.7", "192.0.2.7"),
        (1, "10.9.9.9, 192.0.2.7", "192.0.2.7"),
        (2, "10.9.9.9, 192.0.2.7, 198.51.100.3", "192.0.2.7"),
        (2, "192.0.2.7", PROXY),  # fewer entries than proxies: not through them
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_address_rules(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip_address(request) == expected
