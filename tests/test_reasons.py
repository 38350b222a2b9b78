"""The one vocabulary of reasons: documented, mapped, and used in place of free strings."""
import re
from pathlib import Path

from core.reasons import Reason
from core.web import FAILURES

ROOT = Path(__file__).resolve().parent.parent


def documented_reasons():
    text = (ROOT / "docs" / "deploy.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([a-z0-9_]+)`", row.split(" | ")[0])}


def test_the_docs_table_and_the_enumeration_name_the_same_reasons():
    documented = documented_reasons()
    values = {reason.value for reason in Reason}
    assert not values - documented, f"not in docs/deploy.md: {sorted(values - documented)}"
    assert not documented - values, f"in docs/deploy.md but not a Reason: {sorted(documented - values)}"


def test_every_reason_a_sign_in_page_can_show_has_a_status_and_words():
    shown = {r for r in Reason if not r.value.startswith(("discovery_", "refresh_", "logout_", "api_"))} - {
        Reason.TOKEN_SESSION_GONE, Reason.NO_REFRESH_TOKEN, Reason.REFRESHED_ID_TOKEN_MISMATCH, Reason.NOT_A_SUPERVISOR,
        Reason.SIGNED_OUT_BY_ADMIN, Reason.NOT_A_CXONE_USER}
    missing = [r.value for r in shown if r not in FAILURES]
    assert not missing
    assert all(400 <= status < 600 and message for status, message in FAILURES.values())


def test_every_reason_a_workspace_can_show_has_words():
    from workspaces.views import MESSAGES

    missing = [r.value for r in Reason if r.value.startswith("api_") and not MESSAGES.get(r)]
    assert not missing


def test_no_reason_is_spelled_out_as_a_string_in_the_code():
    """Reasons are raised as Reason members, never as literals that could drift."""
    values = {reason.value for reason in Reason}
    offenders = []
    for folder in ("accounts", "tenants", "cxone_portal"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.name == "reasons.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for literal in re.findall(r'"([a-z0-9_]+)"', line):
                    if literal in values and "event" not in line:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {literal}")
    assert not offenders, offenders
