"""Two-factor sign-in for staff with a TOTP authenticator app (django-otp).

A staff member enrols on the admin's "Two-factor sign-in" page: it shows a secret (as a QR code
drawn on the server as SVG, and as text to type) and asks for a first code, which confirms the
device. From then on the sign-in form asks for a code. With ADMIN_REQUIRE_TWO_FACTOR on, staff
without a confirmed device are sent to that page before anything else. A lost device is removed
by a superuser (Two-factor: TOTP devices), after which its owner enrols again.
"""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


def has_confirmed_device(user) -> bool:
    """Whether ``user`` has a confirmed device (remembered for the request: the admin asks often)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_kyr_has_confirmed_device", None)
    if cached is None:
        cached = user._kyr_has_confirmed_device = user_has_device(user, confirmed=True)
    return cached


def is_verified(user) -> bool:
    """Signed in with a code in this session (django-otp's middleware tells)."""
    return bool(getattr(user, "is_verified", None) and user.is_verified())


def must_enrol(user) -> bool:
    """Staff who must set up two-factor sign-in before using the admin."""
    return (
        settings.ADMIN_REQUIRE_TWO_FACTOR
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and not is_verified(user)
        and not has_confirmed_device(user)
    )


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        # People type "123 456" as their app shows it.
        return "".join(super().to_python(value).split())


class ConfirmDeviceForm(forms.Form):
    otp_token = CodeField(label=_("The 6-digit code your app shows now"))

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = self.cleaned_data["otp_token"]
        if not self.device.verify_token(token):
            raise forms.ValidationError(
                _(
                    "That code is not the one the app shows now. Check that the app holds the secret above, "
                    "and enter the newest code (after several wrong codes, wait a minute)."
                ),
                code="invalid_token",
            )
        return token


def secret_in_groups(device) -> str:
    """The base32 secret, in groups of four, as apps ask for it when typed in by hand."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def qr_code_svg(device) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn here (no script, no other host)."""
    code = segno.make(device.config_url, error="m")
    return code.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="two-factor-qr", title=None)


def enrol_view(request, admin_site):
    """The admin's "Two-factor sign-in" page: the status, or the set-up of a new device."""
    user = request.user
    context = {
        **admin_site.each_context(request),
        "title": _("Two-factor sign-in"),
        "required": settings.ADMIN_REQUIRE_TWO_FACTOR,
    }
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at").first()
    if confirmed is not None:
        context["device"] = confirmed
        return TemplateResponse(request, "admin/accounts/two_factor.html", context)

    # One pending device per person, so reloading the page keeps the secret an app has already read.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-created_at").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = ConfirmDeviceForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        otp_login(request, device)  # this session is now a two-factor one
        messages.success(request, _("Two-factor sign-in is on: from now on, signing in asks for a code from your app."))
        return redirect(reverse("admin:index", current_app=admin_site.name))
    context.update(form=form, secret=secret_in_groups(device), qr_code=qr_code_svg(device))
    return TemplateResponse(request, "admin/accounts/two_factor.html", context)
