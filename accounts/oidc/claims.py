"""What an id_token's claims may hold before any of them reaches the database or a page.

JSON lets a token carry text that is not text: `"\\ud800"` decodes to a lone surrogate (no
database or page can encode it: a 500 on SQLite and PostgreSQL alike), `"\\u0000"` to NUL
(PostgreSQL refuses it in a text column), and control or bidi-override characters make a
name print as something else. Framework-free: the rules raise `InvalidIdToken` with
`id_token_invalid` and the claim's name as the detail, never the value.

- Everywhere in the claims (keys and values, nested): no lone surrogate and no NUL, whatever
  the claim: nothing legitimate holds them, and a log line or a later reader may meet any.
- The claims the portal keeps or shows (`STORED`): a string (or a number where CXone sends
  one), no control character (C0, DEL, C1), no bidi override or isolate, and no longer than
  the column that holds it.
"""
import unicodedata

from core.reasons import Reason

from .errors import InvalidIdToken

# claim -> (longest accepted, numbers accepted too)
STORED = {
    "sub": (255, False),
    "tenantId": (64, False),
    "name": (255, False),
    "given_name": (150, False),
    "family_name": (150, False),
    "userId": (64, True),
    "icAgentId": (32, True),
    "icBUId": (32, True),
}
ROLE_LENGTH = 150
MAX_DEPTH = 32
# Explicit bidi embeddings, overrides and isolates ("Trojan Source"): they reorder what follows.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_text(value):
    """Valid Unicode (no lone surrogate) without NUL."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_clean(value, limit):
    """Text a page or a column can hold as it is: `is_text`, no control character, no bidi
    override, at most `limit` characters."""
    if not isinstance(value, str) or len(value) > limit or not is_text(value):
        return False
    return not any(ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc" for ch in value)


def _walk(value, path, depth=0):
    """The first place under `value` holding a string that is not text, or None."""
    if depth > MAX_DEPTH:
        return path
    if isinstance(value, str):
        return None if is_text(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not is_text(key):
                return path + ".<key>"
            found = _walk(item, f"{path}.{key}" if depth == 0 else path, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _walk(item, path, depth + 1)
            if found:
                return found
    return None


def check_claims(claims):
    """Raise InvalidIdToken(id_token_invalid, <claim>) unless every claim is text and every
    stored claim fits its column."""
    bad = _walk(claims, "")
    if bad is not None:
        raise InvalidIdToken(Reason.ID_TOKEN_INVALID, f"claim{bad or ''} is not valid text")
    for name, (limit, numbers) in STORED.items():
        if name not in claims:
            continue
        value = claims[name]
        if numbers and isinstance(value, int) and not isinstance(value, bool) and len(str(value)) <= limit:
            continue
        if not is_clean(value, limit):
            raise InvalidIdToken(Reason.ID_TOKEN_INVALID, f"claim {name}")
    role = claims.get("role")
    if isinstance(role, dict) and "legacyId" in role and not is_clean(role["legacyId"], ROLE_LENGTH):
        raise InvalidIdToken(Reason.ID_TOKEN_INVALID, "claim role.legacyId")


def clean_role(value):
    """A CXone role name fit to store (`role.legacyId` from a token), else ""."""
    return value if isinstance(value, str) and value and is_clean(value, ROLE_LENGTH) else ""
