"""Editors' accounts: throttled sign-in, two-factor sign-in, the admin site that enforces both.

- ``lockout``: django-axes' callables (the client's address, the lockout page) and the clean-up
  that keeps a failed sign-in's record no longer than its lockout.
- ``two_factor``: TOTP devices (django-otp): who has one, who must enrol, the enrolment page.
- ``forms``: the sign-in form, which asks for the code of a confirmed device.
- ``site``: the admin site (Django's default, replaced through ``apps.ArchiveAdminConfig``).
"""
