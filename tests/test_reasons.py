"""The one vocabulary of reasons: documented, worded, and used in place of free strings."""
import re
from pathlib import Path

from core.reasons import Reason, ReasonError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "tenants", "core", "workspaces", "simulator", "cxone_portal")


def documented_reasons():
    text = (ROOT / "docs" / "deploy.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([a-z0-9_]+)`", row.split(" | ")[0])}


def test_the_docs_table_and_the_enumeration_name_the_same_reasons():
    documented = documented_reasons()
    values = {reason.value for reason in Reason}
    assert not values - documented, f"not in docs/deploy.md: {sorted(values - documented)}"
    assert not documented - values, f"in docs/deploy.md but not a Reason: {sorted(documented - values)}"


def test_every_reason_has_a_status_words_and_advice():
    for reason in Reason:
        assert 400 <= reason.status < 600, reason
        assert str(reason.words).strip() and str(reason.advice).strip(), reason


def test_every_failure_type_is_a_reason_error():
    from accounts.oidc.errors import SignInError
    from tenants.discovery import DiscoveryError
    from workspaces.adapter import SessionEnded
    from workspaces.cxone_api import APIError

    for kind in (SignInError, DiscoveryError, APIError, SessionEnded):
        error = kind(Reason.BAD_PARAMETER, "x" * 1000)
        assert isinstance(error, ReasonError) and error.reason is Reason.BAD_PARAMETER and len(error.detail) <= 300


def test_no_reason_is_spelled_out_as_a_string_in_the_code():
    """Reasons are raised as Reason members, never as literals that could drift."""
    values = {reason.value for reason in Reason}
    offenders = []
    for folder in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.relative_to(ROOT) == Path("core/reasons.py"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for literal in re.findall(r'''["']([a-z0-9_]+)["']''', line):
                    if literal in values:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {literal}")
    assert not offenders, offenders
