from functools import update_wrapper

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from coverage_archive.accounts import lockout, two_factor
from coverage_archive.accounts.forms import SignInForm
from coverage_archive.identity.current import current_identity


class ArchiveAdminSite(admin.AdminSite):
    """Django's admin site, plus: the sign-in asks for the code of a confirmed TOTP device, a
    session without that code does not open the admin, and with ADMIN_REQUIRE_TWO_FACTOR staff
    without a device are sent to enrol first."""

    site_header = _("Know Your Rights archive")
    site_title = _("Know Your Rights archive: editors")
    index_title = _("Editors")
    login_form = SignInForm
    login_template = "admin/accounts/login.html"
    # No navigation sidebar: at 1280 px it took 300 px from every list, and the article list's
    # columns (its link state among them) no longer fitted beside its filters. The breadcrumbs and
    # the index lead to the same pages.
    enable_nav_sidebar = False

    def each_context(self, request):
        """The organization's own name in the admin's header and titles, once it has set one."""
        context = super().each_context(request)
        identity = current_identity()
        if identity.is_named:
            context["site_header"] = _("%(name)s archive") % {"name": identity.display_name}
            context["site_title"] = _("%(name)s archive: editors") % {"name": identity.display_name}
        return context

    def has_permission(self, request):
        user = request.user
        if not super().has_permission(request):
            return False
        return two_factor.is_verified(user) or not two_factor.has_confirmed_device(user)

    def admin_view(self, view, cacheable=False, *, before_enrolment=False):
        wrapped = super().admin_view(view, cacheable)
        if before_enrolment or getattr(view, "__name__", "") == "logout":
            return wrapped

        def inner(request, *args, **kwargs):
            if two_factor.must_enrol(request.user):
                return redirect(reverse("admin:two_factor", current_app=self.name))
            return wrapped(request, *args, **kwargs)

        return update_wrapper(never_cache(inner), wrapped)

    def get_urls(self):
        enrol = self.admin_view(self.two_factor_view, before_enrolment=True)
        return [path("two-factor/", enrol, name="two_factor"), *super().get_urls()]

    def two_factor_view(self, request):
        return two_factor.enrol_view(request, self)

    def login(self, request, extra_context=None):
        # Whatever sign-in comes next, no failed attempt's record outlives its lockout.
        lockout.delete_expired_attempts()
        return super().login(request, extra_context)
