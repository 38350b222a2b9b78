"""The one vocabulary of reasons, the one failure type, and the one table of words.

Every layer raises `ReasonError` (or a subclass): the protocol layers (`accounts/oidc`,
`tenants/discovery.py`, `accounts/refresh.py`, `workspaces/cxone_api.py`) know nothing of the
web; the web layer (`core/web.py`) turns a reason into an HTTP status and words through the
table below, for pages, JSON, the admin and logs alike. A reason is a fixed code; anything
variable (an OAuth error code, the claim that differed, a path) travels beside it as `detail`,
which goes to the log, never to a person.

Adding a reason is one line here: its code, HTTP status, words and (optionally) advice. The
words are lazy translations, so this module imports nothing that needs settings.
"""
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

# --- shared words -------------------------------------------------------------------------
_RETRY = _("Please start again.")
_EXPIRED = _("This sign-in link has expired or was already used. Please start again.")
_CXONE_DOWN = _("CXone could not be reached or answered with an error. Please try again in a moment.")
_CXONE_SLOW = _("CXone took too long to answer. Please try again in a moment.")
_UNVERIFIED = _("CXone's answer could not be verified, so you were not signed in.")
_SESSION_ENDED = _("Your CXone session ended. Please sign in again.")
_NO_ORG = _("No organization with that ID can sign in here.")
_DISCOVERY = _("CXone's configuration for this organization could not be read.")

# --- advice: what the person can do next, and whom to ask ---------------------------------
CHECK_ORGANIZATION = _("Check the Organization ID with your portal administrator, or use Sign in with CXone instead.")
ASK_FOR_ACCESS = _("Ask your portal administrator to give your organization or account access.")
WAIT_AND_RETRY = _("Wait a minute and try again. If it keeps happening, tell your portal administrator the request number below.")
TRY_AGAIN = _("Try again. If it keeps happening, tell your portal administrator the request number below.")
SIGN_IN_AGAIN = _("Sign in again to continue.")
ASK_CXONE_ADMIN = _("Ask your CXone administrator for the permission.")


class Reason(StrEnum):
    """code, HTTP status, words for a person, advice (default: by status)."""

    def __new__(cls, code, status=400, words=None, advice=None):
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.words = words if words is not None else _("Sign-in could not be completed. Please start again.")
        member.advice = advice if advice is not None else (WAIT_AND_RETRY if status >= 500 or status == 429 else TRY_AGAIN)
        return member

    # --- the browser's request to start or finish a sign-in -----------------------------
    BAD_PARAMETER = "bad_parameter", 400, _("The sign-in link is not valid. Please start again.")
    SIGN_IN_RATE_LIMITED = "sign_in_rate_limited", 429, _("Too many sign-ins from your network right now. Please wait a minute and try again.")
    TENANT_UNKNOWN = "tenant_unknown", 400, _NO_ORG, CHECK_ORGANIZATION
    TENANT_INACTIVE = "tenant_inactive", 400, _NO_ORG, CHECK_ORGANIZATION
    STATE_MISSING = "state_missing", 400, _EXPIRED
    STATE_UNKNOWN = "state_unknown", 400, _EXPIRED
    STATE_EXPIRED = "state_expired", 400, _EXPIRED
    ENVIRONMENT_GONE = "environment_gone", 400, _EXPIRED
    CODE_MISSING = "code_missing", 400, _("Sign-in could not be completed. Please start again.")
    CALLBACK_MISMATCH = "callback_mismatch", 400, _("The answer came back to the wrong address for this sign-in. Please start again.")
    ISSUER_MISMATCH = "issuer_mismatch", 400, _("The answer came from a different CXone environment.")
    ISSUER_MISSING = "issuer_missing", 400, _("The answer did not say which CXone environment sent it.")
    SIGN_IN_CANCELLED = "sign_in_cancelled", 400, _("Sign-in was cancelled.")
    PROVIDER_ERROR = "provider_error", 400, _("CXone did not complete the sign-in.")
    USER_INACTIVE = "user_inactive", 403, _("Your portal account is disabled."), ASK_FOR_ACCESS
    # --- CXone's token endpoint, keys and discovery, seen from a sign-in or refresh -------
    ENCRYPTION_KEY_MISMATCH = "encryption_key_mismatch", 503, _("The portal cannot read its stored CXone credentials. Please tell your portal administrator.")
    TOKEN_REJECTED = "token_rejected", 400, _("CXone refused the sign-in code. Please try again.")
    TOKEN_ENDPOINT_ERROR = "token_endpoint_error", 502, _CXONE_DOWN
    TOKEN_ENDPOINT_UNREACHABLE = "token_endpoint_unreachable", 502, _CXONE_DOWN
    TOKEN_ENDPOINT_TIMEOUT = "token_endpoint_timeout", 504, _CXONE_SLOW
    TOKEN_RESPONSE_INVALID = "token_response_invalid", 502, _CXONE_DOWN
    JWKS_UNAVAILABLE = "jwks_unavailable", 502, _CXONE_DOWN
    DISCOVERY_FAILED = "discovery_failed", 502, _CXONE_DOWN
    # --- the id_token (OpenID Connect Core 3.1.3.7; 12.2 on refresh) ----------------------
    ID_TOKEN_MISSING = "id_token_missing", 400, _UNVERIFIED
    ID_TOKEN_MALFORMED = "id_token_malformed", 400, _UNVERIFIED
    ID_TOKEN_ALG = "id_token_alg", 400, _UNVERIFIED
    ID_TOKEN_KID_UNKNOWN = "id_token_kid_unknown", 400, _UNVERIFIED
    ID_TOKEN_SIGNATURE = "id_token_signature", 400, _UNVERIFIED
    ID_TOKEN_ISS = "id_token_iss", 400, _UNVERIFIED
    ID_TOKEN_AUD = "id_token_aud", 400, _UNVERIFIED
    ID_TOKEN_AZP = "id_token_azp", 400, _UNVERIFIED
    ID_TOKEN_EXPIRED = "id_token_expired", 400, _UNVERIFIED
    ID_TOKEN_NOT_YET_VALID = "id_token_not_yet_valid", 400, _UNVERIFIED
    ID_TOKEN_IAT = "id_token_iat", 400, _UNVERIFIED
    ID_TOKEN_CLAIM_MISSING = "id_token_claim_missing", 400, _UNVERIFIED
    ID_TOKEN_SUB = "id_token_sub", 400, _UNVERIFIED
    ID_TOKEN_NONCE = "id_token_nonce", 400, _UNVERIFIED
    ID_TOKEN_TENANT_MISSING = "id_token_tenant_missing", 400, _UNVERIFIED
    ID_TOKEN_AUTH_TIME = "id_token_auth_time", 400, _UNVERIFIED
    ID_TOKEN_INVALID = "id_token_invalid", 400, _UNVERIFIED
    REFRESHED_ID_TOKEN_MISMATCH = "refreshed_id_token_mismatch", 401, _SESSION_ENDED, SIGN_IN_AGAIN
    TENANT_NOT_REGISTERED = "tenant_not_registered", 400, _("Your CXone tenant is not registered with this portal."), ASK_FOR_ACCESS
    TENANT_MISMATCH = "tenant_mismatch", 400, _("CXone signed you in to a different tenant than the one you chose."), ASK_FOR_ACCESS
    # --- a signed-in session ----------------------------------------------------------------
    NOT_SIGNED_IN = "not_signed_in", 401, _("Please sign in."), SIGN_IN_AGAIN
    TOKEN_SESSION_GONE = "token_session_gone", 401, _SESSION_ENDED, SIGN_IN_AGAIN
    NO_REFRESH_TOKEN = "no_refresh_token", 401, _SESSION_ENDED, SIGN_IN_AGAIN
    REFRESH_BACKOFF = "refresh_backoff", 503, _CXONE_DOWN
    REFRESH_FAILED_EXPIRED = "refresh_failed_expired", 401, _SESSION_ENDED, SIGN_IN_AGAIN
    REFRESH_WAIT_TIMEOUT = "refresh_wait_timeout", 503, _CXONE_SLOW
    LOGOUT_STATE_MISMATCH = "logout_state_mismatch", 400, _("The sign-out answer did not match this browser's sign-out.")
    SIGNED_OUT_BY_ADMIN = "signed_out_by_admin", 401, _("Your portal administrator signed you out."), SIGN_IN_AGAIN
    CXONE_SESSION_ENDED = "cxone_session_ended", 401, _SESSION_ENDED, SIGN_IN_AGAIN
    SESSION_EXPIRED = "session_expired", 401, _("Your session reached its time limit. Please sign in again."), SIGN_IN_AGAIN
    ROLE_CHANGED = "role_changed", 401, _("Your access to the portal changed. Please sign in again."), SIGN_IN_AGAIN
    SESSION_CHANGED = "session_changed", 409, _("This browser is now signed in as someone else. Reload the page to continue as them.")
    # --- discovery (the admin, the commands and the sign-in start see these) --------------
    DISCOVERY_BAD_URL = "discovery_bad_url", 502, _("A CXone discovery address is not a valid URL.")
    DISCOVERY_INSECURE_URL = "discovery_insecure_url", 502, _("A CXone discovery address does not use https.")
    DISCOVERY_TIMEOUT = "discovery_timeout", 504, _("CXone's discovery did not answer in time.")
    DISCOVERY_UNREACHABLE = "discovery_unreachable", 502, _("CXone's discovery could not be reached.")
    DISCOVERY_HTTP_ERROR = "discovery_http_error", 502, _("CXone's discovery answered with an error.")
    DISCOVERY_BAD_JSON = "discovery_bad_json", 502, _("CXone's discovery answer is not valid JSON.")
    DISCOVERY_BAD_DOCUMENT = "discovery_bad_document", 502, _("CXone's discovery answer lacks a required field.")
    DISCOVERY_ISSUER_MISMATCH = "discovery_issuer_mismatch", 502, _("CXone's discovery names a different issuer.")
    DISCOVERY_FOREIGN_ENDPOINT = "discovery_foreign_endpoint", 502, _("CXone's discovery names an endpoint outside CXone's domain.")
    DISCOVERY_TENANT_UNKNOWN = "discovery_tenant_unknown", 502, _("CXone does not know this tenantId in this environment.")
    # --- CXone's REST APIs with the user's token ---------------------------------------------
    API_UNAUTHORIZED = "api_unauthorized", 401, _("CXone did not accept your session."), SIGN_IN_AGAIN
    API_FORBIDDEN = "api_forbidden", 403, _("Your CXone role does not allow this."), ASK_CXONE_ADMIN
    API_NOT_FOUND = "api_not_found", 404, _("CXone does not know this agent.")
    API_CONFLICT = "api_conflict", 409, _("CXone refused: an after-call-work reason needs an active contact, and an agent who is logged out cannot be changed.")
    API_THROTTLED = "api_throttled", 503, _("CXone asked the portal to slow down.")
    API_TIMEOUT = "api_timeout", 504, _("CXone is slow to answer.")
    API_UNAVAILABLE = "api_unavailable", 503, _("CXone cannot be reached right now.")
    API_BAD_REQUEST = "api_bad_request", 502, _("CXone could not answer this request.")
    API_BAD_RESPONSE = "api_bad_response", 502, _("CXone's answer could not be read.")
    API_BUSY = "api_busy", 503, _("The portal is waiting for CXone on other requests. Please try again in a moment.")
    API_NOT_LOADED = "api_not_loaded", 503, _("The first data from CXone has not arrived yet.")
    NOT_A_SUPERVISOR = "not_a_supervisor", 403, _("The team board is for supervisors. Your CXone role makes you an agent here."), ASK_CXONE_ADMIN
    NOT_A_CXONE_USER = "not_a_cxone_user", 403, _("These pages are for CXone users; sign in with CXone."), SIGN_IN_AGAIN
    CSRF_FAILED = "csrf_failed", 403, _("The page was open too long or came from elsewhere. Reload it and try again.")
    BAD_INPUT = "bad_input", 400, _("The request is not valid.")
    API_UNEXPECTED_SHAPE = "api_unexpected_shape", 502, _("Part of CXone's answer was not in a form the portal understands: it shows as not available from CXone."), _("Tell your portal administrator: the organization's admin page lists what CXone sent instead.")
    # --- the portal's own refusals of a signed-in user's request (CXone was not asked) -----
    NOT_ON_BOARD = "not_on_board", 404, _("This agent or team is not on your board, so the portal did not ask CXone.")
    TOO_MANY_READS = "too_many_reads", 429, _("You are asking for data faster than the board needs it. Please wait a moment.")
    TOO_MANY_MESSAGES = "too_many_messages", 429, _("Too many messages were sent from here recently. Please wait before sending another."), WAIT_AND_RETRY
    MESSAGE_REPEATED = "message_repeated", 429, _("This message was just sent. Wait a minute before sending it again."), WAIT_AND_RETRY
    # --- the portal's own services (core/outage.py) -----------------------------------------
    CACHE_UNAVAILABLE = "cache_unavailable", 503, _("The portal's live data store cannot be reached, so live data is paused. It resumes by itself in a moment.")
    DATABASE_UNAVAILABLE = "database_unavailable", 503, _("The portal's database cannot be reached. Please try again in a moment.")
    INTERNAL_ERROR = "internal_error", 500, _("The portal hit an unexpected error. It has been logged.")
    MESSAGE_UNKNOWN = "message_unknown", 404, _("This message is not one your organization's supervisors sent from the portal."), _("Reload the list of sent messages.")
    MESSAGE_RETRACTED = "message_retracted", 409, _("This message was already retracted."), _("Reload the list of sent messages.")


class ReasonError(Exception):
    """The one failure type: a reason from the vocabulary and a bounded, loggable detail.
    `ends_session`: a failure after which the session cannot go on (the answer signs out)."""

    ends_session = False

    def __init__(self, reason, detail=""):
        detail = str(detail)[:300] if detail else ""
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = Reason(reason)
        self.detail = detail


class RefreshStatus(StrEnum):
    """What a token refresh did (`accounts/refresh.py`)."""

    FRESH = "fresh"
    REFRESHED = "refreshed"
    IN_FLIGHT = "in_flight"
    DEFERRED = "deferred"
    ENDED = "ended"
