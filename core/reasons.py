"""The one vocabulary of reasons: why a sign-in, a discovery or a refresh did not succeed.

Plain Python, no Django: the protocol layers (`accounts/oidc`, `tenants/discovery.py`,
`accounts/refresh.py`) raise or return these; the web layer (`core/web.py`) maps each
to an HTTP status and words for people. A reason is a fixed code; anything variable (an
OAuth error code, the claim that differed) travels beside it as `detail`. The table in
`docs/deploy.md` is tested against this enumeration.
"""
from enum import StrEnum


class Reason(StrEnum):
    # --- the browser's request to start or finish a sign-in -----------------------------
    BAD_PARAMETER = "bad_parameter"
    SIGN_IN_RATE_LIMITED = "sign_in_rate_limited"
    TENANT_UNKNOWN = "tenant_unknown"
    TENANT_INACTIVE = "tenant_inactive"
    STATE_MISSING = "state_missing"
    STATE_UNKNOWN = "state_unknown"
    STATE_EXPIRED = "state_expired"
    ENVIRONMENT_GONE = "environment_gone"
    CODE_MISSING = "code_missing"
    CALLBACK_MISMATCH = "callback_mismatch"
    ISSUER_MISMATCH = "issuer_mismatch"
    ISSUER_MISSING = "issuer_missing"
    SIGN_IN_CANCELLED = "sign_in_cancelled"
    PROVIDER_ERROR = "provider_error"
    USER_INACTIVE = "user_inactive"
    # --- CXone's token endpoint, keys and discovery, seen from a sign-in or refresh -------
    ENCRYPTION_KEY_MISMATCH = "encryption_key_mismatch"
    TOKEN_REJECTED = "token_rejected"
    TOKEN_ENDPOINT_ERROR = "token_endpoint_error"
    TOKEN_ENDPOINT_UNREACHABLE = "token_endpoint_unreachable"
    TOKEN_ENDPOINT_TIMEOUT = "token_endpoint_timeout"
    TOKEN_RESPONSE_INVALID = "token_response_invalid"
    JWKS_UNAVAILABLE = "jwks_unavailable"
    DISCOVERY_FAILED = "discovery_failed"
    # --- the id_token (OpenID Connect Core 3.1.3.7; 12.2 on refresh) ----------------------
    ID_TOKEN_MISSING = "id_token_missing"
    ID_TOKEN_MALFORMED = "id_token_malformed"
    ID_TOKEN_ALG = "id_token_alg"
    ID_TOKEN_KID_UNKNOWN = "id_token_kid_unknown"
    ID_TOKEN_SIGNATURE = "id_token_signature"
    ID_TOKEN_ISS = "id_token_iss"
    ID_TOKEN_AUD = "id_token_aud"
    ID_TOKEN_AZP = "id_token_azp"
    ID_TOKEN_EXPIRED = "id_token_expired"
    ID_TOKEN_NOT_YET_VALID = "id_token_not_yet_valid"
    ID_TOKEN_IAT = "id_token_iat"
    ID_TOKEN_CLAIM_MISSING = "id_token_claim_missing"
    ID_TOKEN_SUB = "id_token_sub"
    ID_TOKEN_NONCE = "id_token_nonce"
    ID_TOKEN_TENANT_MISSING = "id_token_tenant_missing"
    ID_TOKEN_AUTH_TIME = "id_token_auth_time"
    ID_TOKEN_INVALID = "id_token_invalid"
    REFRESHED_ID_TOKEN_MISMATCH = "refreshed_id_token_mismatch"
    TENANT_NOT_REGISTERED = "tenant_not_registered"
    TENANT_MISMATCH = "tenant_mismatch"
    # --- a signed-in session's tokens ------------------------------------------------------
    NOT_SIGNED_IN = "not_signed_in"
    TOKEN_SESSION_GONE = "token_session_gone"
    NO_REFRESH_TOKEN = "no_refresh_token"
    REFRESH_BACKOFF = "refresh_backoff"
    REFRESH_FAILED_EXPIRED = "refresh_failed_expired"
    REFRESH_WAIT_TIMEOUT = "refresh_wait_timeout"
    LOGOUT_STATE_MISMATCH = "logout_state_mismatch"
    SIGNED_OUT_BY_ADMIN = "signed_out_by_admin"
    # --- discovery (the admin, the commands and the sign-in start see these) --------------
    DISCOVERY_BAD_URL = "discovery_bad_url"
    DISCOVERY_INSECURE_URL = "discovery_insecure_url"
    DISCOVERY_TIMEOUT = "discovery_timeout"
    DISCOVERY_UNREACHABLE = "discovery_unreachable"
    DISCOVERY_HTTP_ERROR = "discovery_http_error"
    DISCOVERY_BAD_JSON = "discovery_bad_json"
    DISCOVERY_BAD_DOCUMENT = "discovery_bad_document"
    DISCOVERY_ISSUER_MISMATCH = "discovery_issuer_mismatch"
    DISCOVERY_FOREIGN_ENDPOINT = "discovery_foreign_endpoint"
    DISCOVERY_TENANT_UNKNOWN = "discovery_tenant_unknown"
    # --- CXone's REST APIs with the user's token ---------------------------------------------
    API_UNAUTHORIZED = "api_unauthorized"
    API_FORBIDDEN = "api_forbidden"
    API_THROTTLED = "api_throttled"
    API_TIMEOUT = "api_timeout"
    API_UNAVAILABLE = "api_unavailable"
    API_BAD_REQUEST = "api_bad_request"
    API_BAD_RESPONSE = "api_bad_response"
    NOT_A_SUPERVISOR = "not_a_supervisor"
    NOT_A_CXONE_USER = "not_a_cxone_user"
