"""Named failures of the sign-in and refresh flows.

Each carries a `reason` from the one vocabulary (`core.reasons.Reason`) and an
optional bounded `detail`; what the portal answers with (status, words) is the web layer's
business (`core/web.py`).
"""


class SignInError(Exception):
    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


class InvalidRequest(SignInError):
    """The browser's request can't be honoured (bad or reused state, unknown tenant…)."""


class ProviderError(SignInError):
    """CXone answered the authorization request with an `error`."""


class TokenRejected(SignInError):
    """The token endpoint refused the grant (4xx): `detail` holds its OAuth error code."""

    @property
    def error(self):
        return self.detail


class UpstreamError(SignInError):
    """CXone failed, answered nonsense or could not be reached."""


class UpstreamTimeout(UpstreamError):
    """CXone took longer than the HTTP timeout."""


class InvalidIdToken(SignInError):
    """The id_token failed a rule of OpenID Connect Core 3.1.3.7 (or 12.2 on refresh)."""
