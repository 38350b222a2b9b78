"""Named failures of the sign-in and refresh flows.

Each carries a `reason` from the one vocabulary (`core.reasons.Reason`) and an
optional bounded `detail` (`core.reasons.ReasonError`); what the portal answers with (status,
words) is the table on `Reason`, used by the web layer.
"""


from core.reasons import ReasonError


class SignInError(ReasonError):
    """A sign-in or refresh failed; the base of this module's named failures."""


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
