from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts
from cxone_portal import health

urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("dashboard/", accounts.dashboard, name="dashboard"),
    path("api/session/", accounts.session_status, name="session_status"),
    path("signed-out/", accounts.signed_out, name="signed_out"),
    # Ours, ahead of the library's GET-capable logout: POST only, then CXone's end_session.
    path("oidc/logout/", accounts.LogoutView.as_view(), name="oidc_logout"),
    # authenticate/ and callback/, with OIDC_AUTHENTICATE_CLASS and OIDC_CALLBACK_CLASS.
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "cxone_portal.errors.bad_request"
handler403 = "cxone_portal.errors.permission_denied"
handler404 = "cxone_portal.errors.page_not_found"
handler500 = "cxone_portal.errors.server_error"
