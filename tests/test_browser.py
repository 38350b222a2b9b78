"""End to end in real headless Chromium against the demo `make run` serves.

landing -> tenant -> the simulator's branded login page -> dashboard -> sign out ->
CXone-style logout -> back on the portal, signed out. Screenshots go to var/screenshots/
(ignored); `make screenshots` runs this module and copies them to docs/screenshots/.
"""
import os
import shutil

import pytest

from . import procs

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR") or os.path.join(procs.ROOT, "var", "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        procs.missing(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        procs.missing("playwright is not installed (pip install -r requirements.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    server = procs.DemoServer(tmp_path_factory.mktemp("demo"))
    yield server
    server.stop()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 820})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def sign_in(page, demo, tenant_name, user_name, screenshots=False):
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
    page.wait_for_url(demo.url + "/dashboard/")


def test_agent_signs_in_and_out(page, demo):
    sign_in(page, demo, "Acme Support", "Alex Rivera", screenshots=True)
    assert page.locator('[data-test="full-name"]').inner_text() == "Alex Rivera"
    assert page.locator('[data-test="portal-role"]').inner_text() == "Agent"
    assert page.locator('[data-test="tenant-name"]').inner_text() == "Acme Support"
    shot(page, "dashboard-agent.png")
    page.get_by_role("button", name="Sign out").click()
    # Through CXone's end_session endpoint and back to the portal.
    page.wait_for_url(demo.url + "/signed-out/?state=*")
    assert page.get_by_role("heading", name="You are signed out").is_visible()
    page.goto(demo.url + "/dashboard/")
    assert page.url.startswith(demo.url + "/login/?next=")


def test_supervisor_signs_in(page, demo):
    sign_in(page, demo, "Globex Care", "Tess Nakamura")
    assert page.locator('[data-test="full-name"]').inner_text() == "Tess Nakamura"
    assert page.locator('[data-test="portal-role"]').inner_text() == "Supervisor"
    assert page.locator('[data-test="cxone-role"]').inner_text() == "Manager"
    shot(page, "dashboard-supervisor.png")


def test_cancelled_sign_in_ends_on_the_failed_page(page, demo):
    page.goto(demo.url + "/login/")
    page.get_by_role("link", name="Acme Support Sign in to Acme Support").click()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(demo.url + "/oidc/callback/*/?**")
    assert page.get_by_role("heading", name="We couldn't sign you in").is_visible()
    assert page.locator('[data-test="reason"]').inner_text() == "sign_in_cancelled"
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
    page.wait_for_url(demo.url + "/dashboard/")
    assert page.locator('[data-test="portal-role"]').inner_text() == "Supervisor"
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
