"""Signing out at CXone too: mozilla-django-oidc's OIDC_OP_LOGOUT_URL_METHOD.

The library's `OIDCLogoutView.post` calls `end_session_url(request)` while the user is still
signed in, then logs them out and redirects to what it returned. Here: the session's CXone
tokens end, and the URL is CXone's end_session_endpoint with `id_token_hint`,
`post_logout_redirect_uri` and a signed `state` (OpenID Connect RP-Initiated Logout 1.0), or
the portal's signed-out page when CXone advertises none.
"""
import logging
from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse

from tenants import discovery

from . import events, tokenstore

logger = logging.getLogger("accounts.signin")

# Longer URLs fail at proxies (nginx's default header buffers hold 8 KB) and Django refuses
# to redirect past 16,384 characters: a large id_token_hint goes in a form body instead.
MAX_REDIRECT_URL = 8000


class EndSessionByPost(Exception):
    """The end_session request is too long for a redirect: send it as a form (RP-Initiated
    Logout allows POST). Raised by `end_session_url`, answered by `CXoneLogoutView`."""

    def __init__(self, action, fields):
        super().__init__(action)
        self.action, self.fields = action, fields


def logout_state_signer():
    """Signs the end_session `state`; `~` keeps it URL-safe, so CXone echoes it unchanged."""
    return signing.TimestampSigner(salt="cxone-portal.logout-state", sep="~")


def end_session_url(request):
    """OIDC_OP_LOGOUT_URL_METHOD: ends the session's CXone tokens here and returns CXone's
    end_session URL (or the signed-out page when there is none). The state is signed, so the
    signed-out page can check it after the session is gone."""
    row = tokenstore.end(request)
    logger.info("signed out", extra={"event": "sign_out", "had_tokens": row is not None})
    events.record(events.Kind.SIGN_OUT, user=request.user, tenant_id=row.tenant_id if row else None)
    signed_out = reverse("signed_out")
    end_session = _end_session_endpoint(row.tenant.environment) if row else None
    if not end_session:
        return signed_out
    fields = {
        "id_token_hint": row.id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(signed_out),
        "state": logout_state_signer().sign_object(row.user_id),
    }
    url = end_session + ("&" if "?" in end_session else "?") + urlencode(fields)
    if len(url) > MAX_REDIRECT_URL:
        raise EndSessionByPost(end_session, list(fields.items()))
    return url


def _end_session_endpoint(environment):
    try:
        discovery.current(environment)
    except discovery.DiscoveryError:
        pass  # logging out locally still works; CXone's part is skipped
    return environment.end_session_endpoint
