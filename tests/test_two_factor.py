"""Two-factor sign-in for staff, end to end with real TOTP codes: enrolment in the admin, the code
at sign-in, enforcement by ADMIN_REQUIRE_TWO_FACTOR, and a superuser removing a lost device."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's


def code(device, steps_ahead=0):
    """The code an authenticator app holding the device's secret shows (``steps_ahead`` steps of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def editor(db):
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def sign_in(client, otp_token=None, username="editor", password=PASSWORD):
    data = {"username": username, "password": password}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(reverse("admin:login"), data)


def enrol(client):
    """Sign in with the password, open the enrolment page, confirm it with the app's first code."""
    assert sign_in(client).status_code == 302
    page = client.get(reverse("admin:two_factor"))
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("admin:two_factor"), {"otp_token": code(device)})
    device.refresh_from_db()
    return page, response, device


def test_an_editor_enrols_from_the_admin_with_a_first_code(client, editor):
    page, response, device = enrol(client)
    content = page.content.decode()

    secret = page.context["secret"].replace(" ", "")
    assert page.status_code == 200
    assert "<svg" in content and 'class="two-factor-qr"' in content  # drawn here, inline
    assert secret in content.replace(" ", "")
    assert "<script" not in content.split('id="content-main"')[1]
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert device.confirmed and device.user == editor
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session counts as verified
    assert client.get(reverse("admin:index")).status_code == 200
    assert "Two-factor sign-in is on" in client.get(reverse("admin:two_factor")).content.decode()


def test_a_wrong_first_code_confirms_nothing(client, editor):
    sign_in(client)
    client.get(reverse("admin:two_factor"))
    device = TOTPDevice.objects.get()
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("admin:two_factor"), {"otp_token": wrong})

    device.refresh_from_db()
    assert response.status_code == 200
    assert "That code is not the one the app shows now" in response.content.decode()
    assert not device.confirmed


def test_reloading_the_enrolment_page_keeps_the_secret(client, editor):
    sign_in(client)

    first = client.get(reverse("admin:two_factor")).context["secret"]
    second = client.get(reverse("admin:two_factor")).context["secret"]

    assert first == second
    assert TOTPDevice.objects.count() == 1


def test_once_enrolled_sign_in_asks_for_the_code(editor):
    _, _, device = enrol(Client())
    without_client, right_client, wrong_client = Client(), Client(), Client()

    without = sign_in(without_client)
    right = sign_in(right_client, code(device, 1))  # the enrolment used this step's code: the next one
    wrong = sign_in(wrong_client, f"{(int(code(device, 2)) + 1) % 1_000_000:06d}")

    assert without.status_code == 200
    assert "this account signs in with one" in without.content.decode()
    assert SESSION_KEY not in without_client.session
    assert right.status_code == 302
    assert right_client.session[SESSION_KEY] == str(editor.pk)
    assert right_client.get(reverse("admin:coverage_archive_article_changelist")).status_code == 200
    assert wrong.status_code == 200 and SESSION_KEY not in wrong_client.session


def test_a_code_is_not_accepted_twice(editor):
    _, _, device = enrol(Client())
    token = code(device, 1)
    assert sign_in(Client(), token).status_code == 302

    assert sign_in(Client(), token).status_code == 200


def test_a_session_without_the_code_does_not_open_the_admin_of_an_enrolled_editor(client, editor):
    enrol(Client())
    client.force_login(editor)  # signed in, but not with the code

    response = client.get(reverse("admin:coverage_archive_article_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_wrong_codes_count_as_failed_sign_ins(editor):
    _, _, device = enrol(Client())
    wrong = f"{(int(code(device, 1)) + 3) % 1_000_000:06d}"

    responses = [sign_in(Client(), wrong) for _ in range(5)]
    after = sign_in(Client(), code(device, 1))

    assert [response.status_code for response in responses] == [200, 200, 200, 200, 429]
    assert after.status_code == 429


def test_staff_without_a_device_sign_in_with_the_password_when_it_is_not_required(client, editor):
    assert sign_in(client).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.fixture
def required(settings):
    settings.ADMIN_REQUIRE_TWO_FACTOR = True


@pytest.mark.parametrize(
    "url",
    [
        "admin:index",
        "admin:coverage_archive_article_changelist",
        "admin:coverage_archive_article_add",
        "admin:coverage_archive_article_import",
        "admin:password_change",
    ],
)
def test_when_required_staff_without_a_device_are_sent_to_enrol_before_anything_else(client, editor, required, url):
    assert sign_in(client).status_code == 302

    response = client.get(reverse(url))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:two_factor")
    page = client.get(reverse("admin:two_factor"))
    assert "asks every member of staff to sign in with a second factor" in page.content.decode()


def test_when_required_logging_out_still_works_and_enrolling_opens_the_admin(client, editor, required):
    *_, device = enrol(client)
    assert client.get(reverse("admin:index")).status_code == 200

    client.post(reverse("admin:logout"))

    assert SESSION_KEY not in client.session
    assert device.confirmed


def test_a_superuser_removes_a_lost_device_and_its_owner_enrols_again(client, editor, required):
    _, _, device = enrol(Client())
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    root_device = TOTPDevice.objects.create(user=root, name="root's app", confirmed=True)
    assert sign_in(client, code(root_device), username="root").status_code == 302

    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})

    assert listing.status_code == 200 and "editor" in listing.content.decode()
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    owner = Client()
    assert sign_in(owner).status_code == 302  # the password alone again...
    assert owner.get(reverse("admin:index"))["Location"] == reverse("admin:two_factor")  # ...then enrol


def test_editors_may_not_see_or_remove_devices(client, editor):
    _, _, device = enrol(client)

    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403
    assert client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}).status_code == (
        403
    )
