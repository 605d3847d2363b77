"""Every kind of public page is valid HTML, as the Nu HTML Checker (vnu.jar) judges it.

The pages are rendered once, with the seed and synthetic coverage, and checked in
one run of the checker; each page then passes or fails on its own. vnu.jar comes
from the npm registry (tests/browser/package.json, installed by `make test`) and
runs on the machine's Java.
"""

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client

from tests.browser.archive_data import PAGE_STATUS, PUBLIC_PAGES, build_archive
from tests.browser.conftest import require_or_skip

# django_db: so the test database is set up even when this module runs alone.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

VNU_JAR = Path(__file__).parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def vnu_errors(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, list[str]]:
    """The checker's errors for each page, by page name."""
    java = shutil.which("java")
    if java is None:
        require_or_skip("Java is not installed, and the HTML checker needs it (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        require_or_skip(f"vnu.jar is not installed at {VNU_JAR} (`make test` installs it with npm)")

    folder = tmp_path_factory.mktemp("html")
    files = {}
    with django_db_blocker.unblock(), transaction.atomic():
        data = build_archive()
        client = Client()
        for name, address in PUBLIC_PAGES.items():
            response = client.get(address(data))
            assert response.status_code == PAGE_STATUS.get(name, 200), name
            files[name] = folder / f"{name}.html"
            files[name].write_bytes(response.content)
        transaction.set_rollback(True)

    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    assert result.returncode in {0, 1} and (result.returncode == 0 or messages), result.stderr
    errors = {name: [] for name in files}
    by_file = {path.name: name for name, path in files.items()}
    for message in messages:
        # The checker names each file as a URL ("file:/tmp/…/home.html").
        name = by_file[Path(urlsplit(message["url"]).path).name]
        errors[name].append(
            f"line {message.get('lastLine')}: {message['message']} [{message.get('extract', '').strip()}]"
        )
    return errors


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_page_is_valid_html(vnu_errors, name):
    assert vnu_errors[name] == [], "\n".join(vnu_errors[name])
