from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from coverage_archive.accounts.two_factor import CodeField, has_confirmed_device


class SignInForm(AdminAuthenticationForm):
    """The admin's sign-in: username and password (throttled by django-axes' backend), and the
    code of the person's authenticator app when they have set one up.

    A missing or wrong code counts as a failed sign-in, so it is throttled like a wrong password;
    it is only ever asked after the right password, so it tells nothing about which usernames exist.
    """

    otp_token = CodeField(
        label=_("Two-factor code"),
        required=False,
        help_text=_("The 6-digit code from your authenticator app, if you have set up two-factor sign-in."),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_token": _(
            "Enter the 6-digit code your authenticator app shows now: this account signs in with one. "
            "After several wrong codes, wait a minute."
        ),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and has_confirmed_device(user):
            token = cleaned.get("otp_token") or ""
            device = match_token(user, token) if token else None
            if device is None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=self.request
                )
                raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
            # django-otp marks the session as verified by this device when Django logs the user in.
            user.otp_device = device
        return cleaned
