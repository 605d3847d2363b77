"""Production settings: refuse to start unconfigured, pass `check --deploy`, serve hashed static files."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "archive.example.org",
    "DJANGO_SETTINGS_MODULE": "kyr_site.settings",
}


def run_manage(*args, env_overrides, drop=()):
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    env.update(env_overrides)
    for key in drop:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("drop", "overrides", "message"),
    [
        (("SECRET_KEY",), {}, "SECRET_KEY is not set"),
        (("ALLOWED_HOSTS",), {}, "ALLOWED_HOSTS is not set"),
        ((), {"SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
        ((), {"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY is too weak"),
        ((), {"DEBUG": "ture"}, "DEBUG must be one of"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key_and_hosts(drop, overrides, message):
    result = run_manage("check", env_overrides={**PRODUCTION_ENV, **overrides}, drop=drop)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_is_off_unless_set():
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = run_manage("shell", "-v", "0", "-c", code, env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_local_development_runs_with_debug_and_no_secrets():
    result = run_manage("check", env_overrides={"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kyr_site.settings"})
    assert result.returncode == 0, result.stderr


def test_hashed_compressed_static_files_are_served_in_production(tmp_path):
    """The one test of the manifest path; the rest of the suite uses plain storage."""
    env = {**PRODUCTION_ENV, "STATIC_ROOT_FOR_TEST": str(tmp_path)}
    code = (
        "from django.conf import settings; settings.STATIC_ROOT = __import__('os').environ['STATIC_ROOT_FOR_TEST']\n"
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)\n"
        "from django.templatetags.static import static; print(static('css/site.css'))\n"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env_overrides=env)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith("/static/css/site.") and url.endswith(".css") and url != "/static/css/site.css"
    hashed = tmp_path / url.removeprefix("/static/")
    assert hashed.exists()
    assert hashed.with_name(hashed.name + ".gz").exists()
