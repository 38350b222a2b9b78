from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog

from accounts import oidc_views, views
from workspaces import actions
from workspaces import agent_day
from workspaces import messages
from workspaces import skill_agents
from workspaces import api  # noqa: F401  (registers the `cxone_id` path converter)
from workspaces import views as work
from core import health, i18n

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("account/", views.account, name="account"),
    path("agent/", work.agent_page, name="agent"),
    path("supervisor/", work.supervisor_page, name="supervisor"),
    path("api/agent/contacts/", work.agent_contacts, name="agent_contacts"),
    path("api/agent/state/", work.agent_state, name="agent_state"),
    path("api/agent/day/", agent_day.day, name="agent_day"),
    path("api/supervisor/agents/", work.supervisor_agents, name="supervisor_agents"),
    path("api/supervisor/skills/", work.supervisor_skills, name="supervisor_skills"),
    path("api/supervisor/agents/<cxone_id:agent_id>/contacts/", work.supervisor_agent_contacts, name="supervisor_agent_contacts"),
    path("supervisor/wallboard/", work.wallboard_page, name="wallboard"),
    path("api/supervisor/agents/<cxone_id:agent_id>/state/", actions.set_state, name="supervisor_set_state"),
    path("api/supervisor/agents/<cxone_id:agent_id>/logout/", actions.logout_agent, name="supervisor_logout_agent"),
    path("api/supervisor/messages/", messages.messages, name="supervisor_messages"),
    path("api/supervisor/messages/<int:sent_id>/retract/", messages.retract_message, name="supervisor_retract_message"),
    path("api/supervisor/teams/", messages.teams, name="supervisor_teams"),
    path("api/supervisor/skill-agents/", skill_agents.supervisor_skill_agents, name="supervisor_skill_agents"),
    path("api/supervisor/teams/<cxone_id:team_id>/unavailable-codes/", actions.unavailable_codes, name="supervisor_unavailable_codes"),
    path("api/agent/messages/", messages.agent_messages, name="agent_messages"),
    path("api/session/", views.session_status, name="session_status"),
    path("signed-out/", views.signed_out, name="signed_out"),
    # mozilla-django-oidc's three routes and names, with our subclasses of its views.
    path("oidc/authenticate/", oidc_views.CXoneAuthenticateView.as_view(), name="oidc_authentication_init"),
    # Each environment's redirect URI; the bare one (the library's name) accepts no sign-in.
    path("oidc/callback/<slug:environment_key>/", oidc_views.CXoneCallbackView.as_view(), name="oidc_environment_callback"),
    path("oidc/callback/", oidc_views.CXoneCallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/logout/", oidc_views.CXoneLogoutView.as_view(), name="oidc_logout"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: POST /i18n/setlang/
    # One catalogue per language: kept rendered for an hour (the cache key names the language),
    # and a browser that has it gets a 304 (Last-Modified: the compiled catalogue's time).
    path("jsi18n/", cache_control(no_cache=True)(last_modified(i18n.catalog_modified)(
        cache_page(3600, key_prefix="jsi18n")(JavaScriptCatalog.as_view()))), name="javascript-catalog"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
