"""The admin's account settings: passwords of 12+ characters, staff sessions ending after idle
time, readers without sessions, and ADMIN_URL moving the admin."""

import datetime
import importlib

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from kyr_site.env import env_url_path
from tests.factories import UserFactory

# --- Passwords ----------------------------------------------------------------------------------


def test_a_password_shorter_than_twelve_characters_is_refused(db):
    with pytest.raises(ValidationError) as refused:
        validate_password("Tq8#vLm2pZx")  # 11 characters, otherwise fine

    assert [error.code for error in refused.value.error_list] == ["password_too_short"]
    validate_password("Tq8#vLm2pZxW")  # 12


def test_the_admin_refuses_a_short_password_for_a_new_account(admin_user_client):
    response = admin_user_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "password1": "Tq8#vLm2pZx", "password2": "Tq8#vLm2pZx", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


# --- Sessions -----------------------------------------------------------------------------------


def test_staff_sessions_end_after_two_idle_hours_and_each_request_extends_them(client, db):
    client.force_login(UserFactory(username="editor", is_staff=True))
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))

    response = client.get(reverse("admin:index"))

    assert django_settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == 7200
    session.refresh_from_db()
    left = session.expire_date - timezone.now()
    assert datetime.timedelta(hours=2) - datetime.timedelta(minutes=1) < left <= datetime.timedelta(hours=2)


def test_a_session_idle_for_longer_is_over(client, db):
    client.force_login(UserFactory(username="editor", is_staff=True))
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_readers_get_no_session_and_no_cookie(db):
    reader = Client()
    for path in ("/", "/coverage/", "/privacy/", "/es/coverage/"):
        response = reader.get(path)
        assert response.status_code == 200
        assert not response.cookies, path
    assert not Session.objects.exists()


def test_the_privacy_page_says_how_long_failed_sign_ins_are_kept(client, db):
    content = client.get("/privacy/").content.decode()

    assert "15 minutes" in content
    assert "IP address" in content


# --- ADMIN_URL ----------------------------------------------------------------------------------


@pytest.fixture
def admin_at_office(settings):
    """The site as started with ADMIN_URL=office/editors/."""
    import kyr_site.urls

    settings.ADMIN_URL = "office/editors/"
    importlib.reload(kyr_site.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(kyr_site.urls)
    clear_url_caches()


def test_admin_url_moves_the_admin(admin_at_office, client, db):
    client.force_login(UserFactory(username="editor", is_staff=True))

    assert reverse("admin:index") == "/office/editors/"
    assert client.get("/office/editors/").status_code == 200
    assert client.get("/admin/").status_code == 404
    anonymous = Client().get("/office/editors/coverage_archive/article/")
    assert anonymous["Location"].startswith("/office/editors/login/")


def test_robots_txt_follows_admin_url(admin_at_office, client, db):
    lines = client.get("/robots.txt").content.decode().splitlines()

    assert "Disallow: /office/editors/" in lines
    assert "Disallow: /admin/" not in lines


def test_robots_txt_keeps_crawlers_out_of_the_default_admin(client, db):
    assert "Disallow: /admin/" in client.get("/robots.txt").content.decode().splitlines()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "admin/"), ("", "admin/"), ("office", "office/"), ("/office/editors/", "office/editors/")],
)
def test_admin_url_is_read_as_a_path(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("ADMIN_URL", raising=False)
    else:
        monkeypatch.setenv("ADMIN_URL", raw)

    assert env_url_path("ADMIN_URL", "admin/") == expected


@pytest.mark.parametrize("raw", ["/", "a//b", "office?x=1", "../up", "off ice"])
def test_a_malformed_admin_url_stops_the_site(monkeypatch, raw):
    monkeypatch.setenv("ADMIN_URL", raw)

    with pytest.raises(ImproperlyConfigured):
        env_url_path("ADMIN_URL", "admin/")
