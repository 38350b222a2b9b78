"""End to end in real headless Chromium against the demo `make run` serves.

landing -> tenant -> the simulator's branded login page -> dashboard -> sign out ->
CXone-style logout -> back on the portal, signed out. Screenshots go to var/screenshots/
(ignored); `make screenshots` runs this module and copies them to docs/screenshots/.
"""
import os
import re

import pytest
from playwright.sync_api import expect

from . import procs
from .conftest import BROWSER_WAIT_MS

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR") or os.path.join(procs.ROOT, "var", "screenshots")


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 820})
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    yield page
    context.close()


def shot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def sign_in(page, demo, tenant_name, user_name, screenshots=False, lands_on="/agent/"):
    page.goto(demo.url + "/")
    assert page.url == demo.url + "/login/"
    assert page.get_by_role("heading", name="Sign in").is_visible()
    if screenshots:
        shot(page, "sign-in.png")
    page.get_by_role("link", name=f"{tenant_name} Sign in to {tenant_name}").click()
    page.wait_for_url("**/cxone-sim/auth/authorize?**")
    assert page.get_by_role("heading", name=f"Sign in to {tenant_name}").is_visible()
    if screenshots:
        shot(page, "cxone-simulator-login.png")
    page.get_by_role("button", name=user_name).click()
    page.wait_for_url(demo.url + lands_on)


def test_agent_signs_in_sees_their_day_and_signs_out(page, demo):
    sign_in(page, demo, "Acme Support", "Alex Rivera", screenshots=True)
    # The agent's day: filled by the page's script from the portal's JSON, CXone's data.
    page.locator('[data-test="contacts"] tbody tr').nth(5).wait_for()  # (the CSP forbids wait_for_function's eval)
    assert page.locator('[data-test="today-count"]').inner_text().isdigit()
    assert page.locator('[data-test="my-state"]').inner_text() not in ("", "…")
    assert ":" in page.locator('[data-test="aht"]').inner_text()
    shot(page, "agent-day.png")
    page.locator('[data-test="account-link"]').click()
    page.wait_for_url(demo.url + "/account/")
    assert page.locator('[data-test="full-name"]').inner_text() == "Alex Rivera"
    assert page.locator('[data-test="portal-role"]').inner_text() == "Agent"
    assert page.locator('[data-test="tenant-name"]').inner_text() == "Acme Support"
    page.get_by_role("button", name="Sign out").click()
    # Through CXone's end_session endpoint and back to the portal.
    page.wait_for_url(demo.url + "/signed-out/?state=*")
    assert page.get_by_role("heading", name="You are signed out").is_visible()
    page.goto(demo.url + "/agent/")
    assert page.url.startswith(demo.url + "/login/?next=")


def test_supervisor_runs_the_team_board(page, demo):
    sign_in(page, demo, "Globex Care", "Tess Nakamura", lands_on="/supervisor/")
    shown = page.locator('[data-test="shown"]')
    shown.filter(has_text="60 of 60 agents").wait_for()  # every page of CXone's answer
    assert page.locator('[data-test="agents"]').get_attribute("aria-rowcount") == "61"
    counts = [int(page.locator(f'[data-count="{k}"]').inner_text()) for k in ("available", "contact", "acw", "unavailable", "loggedout")]
    assert sum(counts) == 60
    page.locator('[data-test="skills"] tbody tr').nth(3).wait_for()
    assert "goal" in page.locator('[data-test="skills"]').inner_text()  # service level in words, not colour alone
    # Time in state ticks in the browser (the rows in the page).
    first = page.locator('[data-test="agents"] tbody tr[data-agent-id] td.time').first
    before = first.inner_text()
    expect(first).not_to_have_text(before)
    page.select_option('[data-filter="state"]', "available")
    shown.filter(has_text=f"{counts[0]} of 60 agents").wait_for()
    page.select_option('[data-filter="state"]', "")
    shot(page, "team-board.png")
    page.locator('[data-test="agents"] tbody button').first.click()
    page.locator('[data-test="agent-contacts"] tbody tr').first.wait_for()
    page.goto(demo.url + "/account/")
    assert page.locator('[data-test="full-name"]').inner_text() == "Tess Nakamura"
    assert page.locator('[data-test="cxone-role"]').inner_text() == "Manager"


def test_cancelled_sign_in_ends_on_the_failed_page(page, demo):
    page.goto(demo.url + "/login/")
    page.get_by_role("link", name="Acme Support Sign in to Acme Support").click()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(demo.url + "/oidc/callback/*/?**")
    # A cancel reads as a cancel: no failure, no raw reason code in sight.
    assert page.get_by_role("heading", name="You cancelled the sign-in").is_visible()
    assert not page.locator('[data-test="reason"]').is_visible()
    assert page.get_by_role("link", name="Try again").is_visible()
    shot(page, "sign-in-failed.png")


def test_login_hint_prefills_and_admin_opens(page, demo):
    page.goto(demo.url + "/login/")
    page.fill("#tenant", "acme")
    page.fill("#login_hint", "sam.supervisor@acme.example")
    page.get_by_role("button", name="Continue to CXone").click()
    page.wait_for_url("**/cxone-sim/auth/authorize?**")
    assert page.input_value("#username") == "sam.supervisor@acme.example"
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(demo.url + "/supervisor/")
    # A local admin account opens Django admin.
    context = page.context.browser.new_context()
    admin = context.new_page()
    admin.goto(demo.url + "/admin/")
    admin.fill("#id_username", "admin")
    admin.fill("#id_password", procs.DemoServer.ADMIN_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url(demo.url + "/admin/")
    assert admin.get_by_role("link", name="Tenants").first.is_visible()
    admin.goto(demo.url + "/admin/tenants/tenant/")
    assert demo.url + "/cxone-sim/api-na1" in admin.content()
    context.close()


def test_the_sign_in_page_validates_the_organization_id_and_fits_a_phone(chromium, demo):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    page.goto(demo.url + "/login/")
    # Sign in with CXone is the primary action, above the Organization ID.
    buttons = page.locator('[data-test="sign-in-with-cxone"]')
    assert buttons.first.is_visible()
    assert buttons.first.bounding_box()["y"] < page.locator("#tenant").bounding_box()["y"]
    # Chromium itself refuses an invalid ID (the pattern compiles with the `v` flag): no request.
    page.fill("#tenant", "not valid!")
    assert page.eval_on_selector("#tenant", "field => field.validity.patternMismatch && !field.form.checkValidity()")
    page.get_by_role("button", name="Continue to CXone").click()
    assert page.url == demo.url + "/login/"
    # A well-formed but unknown ID comes back in the field, with what to do.
    page.fill("#tenant", "ACME-typo")
    page.get_by_role("button", name="Continue to CXone").click()
    page.wait_for_url("**/oidc/authenticate/?**")
    assert page.input_value("#tenant") == "ACME-typo"
    assert page.get_by_text("portal administrator").first.is_visible()
    # Capitals don't matter; the header fits a 390 px phone on one line once signed in.
    page.fill("#tenant", "ACME")
    page.get_by_role("button", name="Continue to CXone").click()
    page.wait_for_url("**/cxone-sim/auth/authorize?**")
    page.get_by_role("button", name="Alex Rivera").click()
    page.wait_for_url(demo.url + "/agent/")
    assert page.locator(".topbar").bounding_box()["height"] < 70
    # The last organization is offered first next time.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(demo.url + "/signed-out/?state=*")
    page.goto(demo.url + "/login/")
    assert page.locator('[data-test="last-org"]').inner_text() == "Continue to Acme Support"
    context.close()


def test_an_admin_finds_a_user_reads_events_and_signs_them_out_everywhere(chromium, demo):
    agent_context = chromium.new_context()
    agent = agent_context.new_page()
    agent.set_default_timeout(BROWSER_WAIT_MS)
    sign_in(agent, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    admin_context = chromium.new_context(viewport={"width": 1200, "height": 820})
    admin = admin_context.new_page()
    admin.set_default_timeout(BROWSER_WAIT_MS)
    admin.goto(demo.url + "/admin/")
    admin.fill("#id_username", "admin")
    admin.fill("#id_password", procs.DemoServer.ADMIN_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url(demo.url + "/admin/")
    admin.goto(demo.url + "/admin/accounts/cxoneidentity/?q=sam.supervisor")
    row = admin.locator("#result_list tbody tr").first
    assert "Samira Okafor" in row.inner_text() and "Supervisor" in row.inner_text()
    shot(admin, "admin-identities.png")
    row.locator("input[type=checkbox]").check()
    admin.select_option("select[name=action]", "sign_out_everywhere")
    admin.get_by_role("button", name="Go").click()
    admin.wait_for_load_state()
    # Samira has sessions from this module's other tests too: all of them end.
    assert admin.get_by_text(re.compile(r"Ended [1-9]\d* session\(s\) of 1 user\(s\)\.")).is_visible()
    admin.goto(demo.url + "/admin/accounts/signinevent/")
    events = admin.locator("#result_list").inner_text()
    assert "signed in" in events and "signed_out_by_admin" in events
    shot(admin, "admin-sign-in-events.png")
    admin.goto(demo.url + "/admin/tenants/environment/")
    admin.locator("#result_list tbody a").first.click()
    assert "/oidc/callback/" in admin.locator('[data-test="redirect-uri"]').inner_text()
    # The supervisor's next request finds the session gone.
    agent.goto(demo.url + "/supervisor/")
    assert agent.url.startswith(demo.url + "/login/")
    agent_context.close()
    admin_context.close()
