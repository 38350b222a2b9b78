"""The portal's own pages: sign-in, signed-out, dashboard, and the session's state as JSON.

The OpenID Connect endpoints are in `oidc_views.py`.
"""
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _, gettext_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from django.core.validators import slug_re

from core import i18n
from core.models import UserPreference
from core.reasons import Reason
from core.web import safe_next, simulator_on
from tenants.models import Environment, Tenant

from . import tokenstore
from .decorators import signin_required
from .models import PortalRole
from .logout import logout_state_signer
from .oidc_views import LAST_ORG_COOKIE

logger = logging.getLogger("accounts.signin")


@method_decorator(never_cache, name="dispatch")
class LoginView(View):
    def get(self, request):
        next_url = safe_next(request, request.GET.get("next")) or ""
        if request.user.is_authenticated:  # already in: straight to the work page (or `next`)
            return redirect(next_url or "dashboard")
        # Names only: a public page reads no secret (and works whatever the encryption key).
        rows = Environment.objects.filter(is_active=True).order_by("name", "pk").values_list("pk", "name")
        environments = [
            (pk, name or _("CXone environment %(number)s") % {"number": n}) for n, (pk, name) in enumerate(rows, 1)
        ]
        context = {
            "next": next_url,
            "environments": environments,
            "can_sign_in": bool(environments),
            "last_org": last_organization(request),
            # The demo lists its tenants; a production sign-in page lists none.
            "demo_tenants": (
                Tenant.objects.filter(is_active=True, environment__is_active=True).order_by("name")
                if simulator_on()
                else []
            ),
        }
        return render(request, "accounts/login.html", context)


def last_organization(request):
    """The organization this browser last signed in to (its cookie holds only the slug)."""
    slug = request.COOKIES.get(LAST_ORG_COOKIE, "")
    if not slug or len(slug) > 64 or not slug_re.match(slug):
        return None
    return Tenant.objects.filter(slug__iexact=slug, is_active=True, environment__is_active=True).only("slug", "name").first()


@never_cache
@require_GET
def signed_out(request):
    """Where CXone's end_session sends the browser back; `state` is the one logout signed."""
    state = request.GET.get("state")
    if state is not None:
        try:
            logout_state_signer().unsign_object(state, max_age=3600)
        except signing.BadSignature:
            logger.warning("logout state mismatch", extra={"event": "sign_out", "reason": Reason.LOGOUT_STATE_MISMATCH})
    return render(request, "accounts/signed_out.html")


@never_cache
@signin_required
def dashboard(request):
    """Where sign-in lands: an agent's day for agents, the team board for supervisors."""
    identity = getattr(request.user, "cxone_identity", None)
    if identity is None:
        return redirect("account")
    return redirect("supervisor" if identity.portal_role == PortalRole.SUPERVISOR else "agent")


class PreferencesForm(forms.Form):
    """Language and time zone a user keeps across browsers ('' = the browser decides)."""

    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Your browser's language"))] + [
            (code, translation.get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ]
        self.fields["time_zone"].choices = [("", _("Your browser's time zone"))] + [
            (name, name.replace("_", " ")) for name in i18n.time_zone_names()
        ]


@never_cache
@require_http_methods(["GET", "POST"])
@signin_required
def account(request):
    """Who is signed in, the CXone session's state, and the user's language and time zone."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            return save_preferences(request, **form.cleaned_data)
    else:
        language, time_zone = UserPreference.of(request.user.pk)
        form = PreferencesForm(initial={"language": language, "time_zone": time_zone})
    identity = getattr(request.user, "cxone_identity", None)
    return render(
        request,
        "accounts/account.html",
        {
            "identity": identity,
            "tenant": identity.tenant if identity else None,
            "tokens": tokenstore.current(request),
            "preferences": form,
        },
    )


def save_preferences(request, language, time_zone):
    """Stored for the user; the language also in this browser's cookie (kept after sign-out)."""
    UserPreference.store(request.user.pk, language=language, time_zone=time_zone)
    response = redirect("account")
    if language:
        translation.activate(language)
        i18n.set_language_cookie(response, language)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN)
    messages.success(request, _("Your language and time zone are saved."))
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@signin_required
def session_status(request):
    """GET or POST /api/session/: the session's state as JSON, for agents' screens (XHR),
    in camelCase like the workspaces' JSON."""
    identity = getattr(request.user, "cxone_identity", None)
    tokens = tokenstore.current(request)
    return JsonResponse(
        {
            "user": request.user.get_full_name() or request.user.get_username(),
            "tenant": identity.tenant.name if identity else None,
            "portalRole": identity.portal_role if identity else None,
            "cxoneRole": identity.cxone_role if identity else None,
            "expiresAt": tokens.expires_at.isoformat() if tokens else None,
            "refreshedAt": tokens.refreshed_at.isoformat() if tokens and tokens.refreshed_at else None,
            "refreshCount": tokens.refresh_count if tokens else 0,
        }
    )


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")
