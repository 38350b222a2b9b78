"""Accessibility in real Chromium: axe-core (axe-playwright-python) finds nothing serious or
critical on any page, at a desktop and a phone width; no page scrolls sideways at 390 px;
keyboard focus is visible.

Adding a page is one line in PAGES: (name, path, who is signed in: None, "agent" or "supervisor").
"""
import pytest

from .conftest import BROWSER_WAIT_MS
from .test_browser import sign_in

pytestmark = pytest.mark.browser

PAGES = [
    ("sign-in", "/login/", None),
    ("signed-out", "/signed-out/", None),
    ("sign-in-failed", "/oidc/authenticate/?tenant=no-such-org", None),
    ("sign-out-confirm", "/oidc/logout/", "agent"),
    ("account", "/account/", "agent"),
    ("account-supervisor", "/account/", "supervisor"),
    ("agent-day", "/agent/", "agent"),
    ("team-board", "/supervisor/", "supervisor"),
    ("wallboard", "/supervisor/wallboard/", "supervisor"),
    ("not-for-your-role", "/supervisor/", "agent"),
]
# The demo's people (simulator/demo.py): tenant, name on CXone's login page, landing page.
PEOPLE = {"agent": ("Acme Support", "Alex Rivera", "/agent/"), "supervisor": ("Globex Care", "Tess Nakamura", "/supervisor/")}
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def signed_in(chromium, demo):
    """Storage states (cookies) per person, each signed in once for the module, on demand."""
    states = {}

    def state_of(who):
        if who is None:
            return None
        if who not in states:
            context = chromium.new_context()
            page = context.new_page()
            page.set_default_timeout(BROWSER_WAIT_MS)
            tenant, name, lands_on = PEOPLE[who]
            sign_in(page, demo, tenant, name, lands_on=lands_on)
            states[who] = context.storage_state()
            context.close()
        return states[who]

    return state_of


@pytest.fixture(scope="module")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is not installed (pip install -r requirements.txt)")
    return Axe()


def open_page(chromium, demo, path, width, state=None):
    context = chromium.new_context(viewport={"width": width, "height": 900}, storage_state=state)
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    page.goto(demo.url + path)
    page.wait_for_load_state("networkidle")  # the workspaces fill themselves from their JSON
    return context, page


def blocking_violations(axe, page):
    results = axe.run(page)
    found = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in found
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("name,path,who", PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_violation_and_no_sideways_scroll(chromium, demo, signed_in, axe, name, path, who, width):
    context, page = open_page(chromium, demo, path, width, signed_in(who))
    try:
        assert not page.url.startswith(demo.url + "/login/?next="), f"{name}: not signed in"
        assert blocking_violations(axe, page) == [], name
        # The same with the language switch open (it lists every language; the wallboard is a
        # kiosk, without one).
        switch = page.locator('[data-test="language-switch"] summary')
        if name != "wallboard":
            switch.click()
            assert blocking_violations(axe, page) == [], f"{name}, language switch open"
        else:
            assert not switch.is_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} scrolls sideways at {width} px ({scroll_width} px wide)"
    finally:
        context.close()


@pytest.mark.parametrize("name,path,who", PAGES[:1], ids=["sign-in"])
def test_right_to_left_pages_pass_too(chromium, demo, axe, name, path, who):
    context = chromium.new_context(viewport={"width": 390, "height": 900}, locale="he-IL")
    page = context.new_page()
    try:
        page.goto(demo.url + path)
        assert page.get_attribute("html", "dir") == "rtl"
        assert blocking_violations(axe, page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_keyboard_focus_is_visible_from_the_skip_link_on(chromium, demo):
    context, page = open_page(chromium, demo, "/login/", 1280)
    try:
        for step in range(8):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "(() => { const e = document.activeElement, s = getComputedStyle(e);"
                " return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40),"
                " outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
            )
            assert focused["outline"] != "none" and focused["width"] >= 2, (step, focused)
            if step == 0:
                assert focused["text"] == "Skip to content"
    finally:
        context.close()


def test_reduced_motion_is_honoured(chromium, demo):
    context = chromium.new_context(reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(demo.url + "/login/")
        duration = page.evaluate("getComputedStyle(document.querySelector('.button')).transitionDuration")
        assert all(float(d.rstrip("s")) <= 0.001 for d in duration.split(","))
    finally:
        context.close()
