"""Named failures of the sign-in and refresh flows.

Each carries a stable `reason` code (it lands in the log and on the error page) and the
HTTP status the portal answers with: 4xx for what the browser or the user can retry,
502/504 when CXone failed or was too slow.
"""


class SignInError(Exception):
    status = 400
    # Shown to people; never includes token material.
    message = "Sign-in could not be completed."

    def __init__(self, reason, detail="", *, message=None, status=None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        if message:
            self.message = message
        if status:
            self.status = status


class InvalidRequest(SignInError):
    """The browser's request can't be honoured (bad or reused state, unknown tenant…)."""


class ProviderError(SignInError):
    """CXone answered the authorization request with an `error`."""

    message = "CXone did not complete the sign-in."


class TokenRejected(SignInError):
    """The token endpoint refused the grant (4xx): `error` holds its OAuth error code."""

    message = "CXone refused the sign-in code. Please try again."

    def __init__(self, reason, error="", detail=""):
        super().__init__(reason, detail or error)
        self.error = error


class UpstreamError(SignInError):
    status = 502
    message = "CXone could not be reached or answered with an error. Please try again in a moment."


class UpstreamTimeout(UpstreamError):
    status = 504
    message = "CXone took too long to answer. Please try again in a moment."


class InvalidIdToken(SignInError):
    """The id_token failed a rule of OpenID Connect Core 3.1.3.7 (or 12.2 on refresh)."""

    message = "CXone's answer could not be verified, so you were not signed in."
