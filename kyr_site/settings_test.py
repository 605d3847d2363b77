"""Settings for the test suite: production settings with fast, local stand-ins."""

import atexit
import os
import shutil
import tempfile

# Production refuses to start without these; tests use throwaway values.
os.environ.setdefault("SECRET_KEY", "test-suite-only-key-" + "k" * 48)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from kyr_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The test client speaks plain HTTP; the redirect is checked by tests/test_settings.py.
SECURE_SSL_REDIRECT = False
# Plain storage, so tests need no collectstatic; the manifest path is tested once.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests change data between requests; counts must follow at once (tests/test_facets.py enables it once).
ARCHIVE_CACHE_SECONDS = 0
# Serve static files from the app folders, as in development, so tests need no STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# No limit on exports at once: the test client never closes a streamed response it does not read to
# the end, which would hold a slot; tests/test_resilience.py sets a limit where it tests one.
EXPORT_CONCURRENCY = 0
# Captures go to a throwaway folder, never the project's media/, removed when the tests end; or,
# for a test's `manage.py` in a process of its own, to the folder that test names (and removes).
MEDIA_ROOT = os.environ.get("KYR_TEST_MEDIA_ROOT", "")
if not MEDIA_ROOT:
    MEDIA_ROOT = tempfile.mkdtemp(prefix="kyr-test-media-")
    atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
