"""django-axes' database handler, kept to what it guards here: the admin's password login.

With AXES_ONLY_ADMIN_SITE, axes allows every other request but its login signals still run
for every login; a CXone sign-in would then pay three queries to axes' tables. CXone
sign-ins fail with reasons of their own and are rate-limited per address instead.
"""
from axes.handlers.database import AxesDatabaseHandler


class AdminOnlyAxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """Only admin-site failures count towards a lockout."""
        if request is not None and self.is_admin_request(request):
            return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        """Only admin-site logins are logged and reset attempts."""
        if self.is_admin_request(request):
            return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            return super().user_logged_out(sender, request, user, **kwargs)
