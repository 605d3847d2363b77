"""Typed readers for settings taken from the environment.

Each helper fails loudly on a value it cannot read, so a typo in a deployment
(``DEBUG=ture``) stops the server instead of silently picking a default, in the
manner of healthchecks' ``envbool``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list, blanks dropped: ``ALLOWED_HOSTS=a.org, b.org``."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url_path(name: str, default: str) -> str:
    """A path under the site's root, as Django's URL patterns take it: ``office/editors/``
    (slashes at either end are tidied; ``ADMIN_URL=/office`` gives ``office/``)."""
    raw = os.environ.get(name)
    value = (default if raw is None or raw.strip() == "" else raw).strip().strip("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
    if not value or "//" in value or not set(value) <= allowed or ".." in value:
        raise ImproperlyConfigured(
            f"{name} must be a path of letters, digits, -, _, . and /, such as admin/ or office/editors/; got {raw!r}."
        )
    return value + "/"
