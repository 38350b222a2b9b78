"""The team board as people in other languages and on phones meet it, in real Chromium against
the demo: English, German and Hebrew at 1280 and 390 px with axe-core finding nothing serious;
a German CSV a German spreadsheet opens in columns; channels in the page's language; user text
isolated in a right-to-left page; no placeholder clipped in any language; on a phone the drawer
is a sheet over the list and logged-out agents fold into one group; and a tab whose browser
signed in elsewhere says so at once and stops passing old data off as fresh.

Every wait is on a condition with a deadline; nothing sleeps."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import BROWSER_WAIT_MS
from .test_browser import sign_in

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "de", "he"]
ALL_LANGUAGES = ["en", "es", "fr", "de", "pt-br", "he"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def supervisor_state(chromium, demo):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    state = context.storage_state()
    context.close()
    return state


def open_board(chromium, demo, state, width, language="en", height=900):
    context = chromium.new_context(viewport={"width": width, "height": height}, storage_state=state, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    page.goto(demo.url + "/supervisor/")
    if page.get_attribute("html", "lang") != language:
        switch_language(page, language)
    expect(page.locator("[data-workspace=supervisor]")).to_have_attribute("data-version", re.compile(r"\d"))
    return context, page


def switch_language(page, language):
    page.locator('[data-test="language-switch"] summary').click()
    page.locator(f'[data-test="language-switch"] button[value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def serious(page):
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} at " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:3]) for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_board_with_its_drawer_passes_axe(chromium, demo, supervisor_state, language, width):
    context, page = open_board(chromium, demo, supervisor_state, width, language)
    try:
        assert serious(page) == [], f"board, {language}, {width}"
        page.select_option('[data-filter="state"]', "contact")
        page.locator('[data-test="agents"] tbody button.agent-name').first.click()
        expect(page.locator('[data-test="drawer"]')).to_be_visible()
        assert serious(page) == [], f"drawer, {language}, {width}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Table words never break inside a word.
        broken = page.evaluate("""() => [...document.querySelectorAll('table.data th, table.data td')]
            .filter(n => ['anywhere', 'break-word'].includes(getComputedStyle(n).overflowWrap) || getComputedStyle(n).wordBreak === 'break-all').length""")
        assert broken == 0
    finally:
        if language != "en":
            page.keyboard.press("Escape")
            switch_language(page, "en")
        context.close()


def test_no_placeholder_is_clipped_in_any_language(chromium, demo, supervisor_state):
    context, page = open_board(chromium, demo, supervisor_state, 1280)
    try:
        for language in ALL_LANGUAGES:
            if page.get_attribute("html", "lang") != language:
                switch_language(page, language)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                expect(page.locator("[data-workspace=supervisor]")).to_have_attribute("data-version", re.compile(r"\d"))
                text, room = page.evaluate("""() => {
                    const input = document.querySelector('[data-filter=search]'), style = getComputedStyle(input);
                    const pen = document.createElement('canvas').getContext('2d');
                    pen.font = style.font;
                    return [pen.measureText(input.placeholder).width,
                            input.clientWidth - parseFloat(style.paddingInlineStart) - parseFloat(style.paddingInlineEnd)];
                }""")
                assert text <= room, f"{language} at {width}: placeholder {text:.0f} px in {room:.0f} px"
    finally:
        switch_language(page, "en")
        context.close()


def test_a_german_csv_opens_in_columns_with_channels_in_german(chromium, demo, supervisor_state):
    context, page = open_board(chromium, demo, supervisor_state, 1280, "de")
    try:
        page.select_option('[data-filter="state"]', "contact")
        expect(page.locator('[data-test="agents"] tbody td.skill').first).to_contain_text("·")
        skills = " ".join(page.locator('[data-test="agents"] tbody td.skill').all_inner_texts())
        assert "PhoneCall" not in skills and "EMail" not in skills
        assert re.search("Telefonanruf|E-Mail|Chat", skills)
        expect(page.locator('[data-test="agents"]')).not_to_have_attribute("aria-rowcount", "61")
        rows = int(page.locator('[data-test="agents"]').get_attribute("aria-rowcount")) - 1
        with page.expect_download() as download:
            page.locator("[data-action=csv]").click()
        raw = open(download.value.path(), "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf")
        lines = raw.decode("utf-8-sig").strip("\r\n").split("\r\n")
        head = lines[0].split(";")
        assert "Zeit im Status" in head and "Sekunden im Status" in head and "Kanal" in head
        assert len(lines) == rows + 1
        assert all(len(line.split(";")) == len(head) for line in lines[1:])
        assert re.fullmatch(r"team-board-acme-\d{4}-\d\d-\d\d-\d{6}\.csv", download.value.suggested_filename)
    finally:
        switch_language(page, "en")
        context.close()


def test_user_text_is_isolated_in_a_right_to_left_page(chromium, demo, supervisor_state):
    context, page = open_board(chromium, demo, supervisor_state, 1280, "he")
    try:
        assert page.get_attribute("html", "dir") == "rtl"
        first = page.locator('[data-test="agents"] tbody tr[data-agent-id]').first
        assert first.locator("button.agent-name").get_attribute("dir") == "auto"
        assert first.locator("bdi.login").count() == 1
        expect(page.locator('[data-test="skills"] tbody th').first).to_have_attribute("dir", "auto")
        assert page.locator("h1 bdi").count() >= 1  # the organisation's and the supervisor's names
    finally:
        switch_language(page, "en")
        context.close()


def test_on_a_phone_the_drawer_is_a_sheet_in_view_and_logged_out_agents_fold(chromium, demo, supervisor_state):
    context, page = open_board(chromium, demo, supervisor_state, 390, height=844)
    try:
        fold = page.locator("[data-action=logged-out-group]")
        logged_out = int(page.locator('[data-count="loggedout"]').inner_text())
        assert logged_out > 0
        expect(fold).to_be_visible()
        expect(fold).to_have_attribute("aria-expanded", "false")
        expect(fold).to_contain_text(str(logged_out))
        assert page.locator('[data-test="agents"]').get_attribute("aria-rowcount") == str(60 - logged_out + 1)
        assert page.locator('[data-test="agents"] tbody tr.state-loggedout').count() == 0
        # The list scrolled halfway, the page scrolled to the list: the drawer opens in view, and
        # the page stays where it was.
        page.locator('[data-test="agent-scroller"]').evaluate("n => { n.scrollTop = n.scrollHeight / 2; }")
        page.locator('[data-test="agent-scroller"]').scroll_into_view_if_needed()
        row = page.locator('[data-test="agents"] tbody tr[data-agent-id]').nth(14)
        before = page.evaluate("scrollY")
        row.locator("button.agent-name").dispatch_event("click")
        drawer = page.locator('[data-test="drawer"]')
        expect(drawer).to_be_visible()
        box = drawer.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844 + 1
        assert page.evaluate("scrollY") == before
        expect(page.locator("#drawer-title")).to_be_focused()
        page.keyboard.press("Escape")
        expect(drawer).to_be_hidden()
        fold.click()
        expect(fold).to_have_attribute("aria-expanded", "true")
        expect(page.locator('[data-test="agents"]')).to_have_attribute("aria-rowcount", "61")
    finally:
        context.close()


def test_a_tab_whose_browser_signed_in_elsewhere_says_so_at_once(chromium, demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        old = context.new_page()
        old.set_default_timeout(BROWSER_WAIT_MS)
        sign_in(old, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
        expect(old.locator('[data-test="agents"]')).to_have_attribute("aria-rowcount", "61")
        expect(old.locator('[data-test="as-of"]')).to_contain_text("updated")
        new = context.new_page()
        new.set_default_timeout(BROWSER_WAIT_MS)
        new.goto(demo.url + "/oidc/authenticate/?tenant=globex")
        new.get_by_role("button", name="Tess Nakamura").click()
        new.wait_for_url(demo.url + "/supervisor/")
        alert = old.locator('[data-test="session-changed"]')
        expect(alert).to_be_visible()
        expect(alert).to_have_attribute("role", "alert")
        expect(alert).to_contain_text(re.compile("another organisation or as another user|signed in", re.I))
        expect(alert.get_by_role("button", name="Reload")).to_be_visible()
        expect(old.locator('[data-test="as-of"]')).to_contain_text("not updated")
        expect(old.locator("[data-workspace=supervisor]")).to_have_class(re.compile("session-ended"))
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_agents_are_on_the_first_screen_at_1280_by_800(chromium, demo, supervisor_state, language):
    context, page = open_board(chromium, demo, supervisor_state, 1280, language, height=800)
    try:
        first = page.locator('[data-test="agents"] tbody tr[data-agent-id]').first
        box = first.bounding_box()
        assert box["y"] + box["height"] <= 800, f"the first agent ends at {box['y'] + box['height']:.0f} px"
    finally:
        if language != "en":
            switch_language(page, "en")
        context.close()
