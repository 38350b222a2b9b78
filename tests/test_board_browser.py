"""The team board in real headless Chromium against `make run`'s demo: rows updated in place
(focus survives a poll), sort with aria-sort, search, tiles that filter, thresholds in words,
the drawer by keyboard alone, each action from the page (confirm, outcome, the board
updated), the message form, and the wallboard."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .test_browser import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def board(chromium, demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    page.locator('[data-test="agents"] tbody tr[data-agent-id]').nth(59).wait_for()
    yield page
    context.close()


def rows(page):
    return page.locator('[data-test="agents"] tbody tr[data-agent-id]')


def visible_rows(page):
    return page.locator('[data-test="agents"] tbody tr[data-agent-id]:not([hidden])')


def test_rows_update_in_place_and_focus_survives_polls(board):
    button = rows(board).nth(12).locator("button.agent-name")
    button.focus()
    name = button.inner_text()

    def changed(response):  # a poll that brought something: a newer version than the page had
        return "/api/supervisor/agents/?since=" in response.url and response.status == 200
    with board.expect_response(changed, timeout=60000) as polled:
        pass
    had = int(parse_qs(urlsplit(polled.value.url).query)["since"][0])
    assert polled.value.json()["version"] > had
    expect(board.locator("button.agent-name:focus")).to_have_text(name)
    assert re.search(r"updated \d+ s ago", board.locator('[data-test="as-of"]').inner_text())


def test_sort_search_and_tiles_that_filter(board):
    header = board.locator("th:has(button[data-sort=time])")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    times = [t for t in rows(board).locator("td.time").all_inner_texts()[:10]]
    seconds = [sum(int(x) * 60 ** i for i, x in enumerate(reversed(t.split(":")))) for t in times]
    assert seconds == sorted(seconds, reverse=True)
    board.fill('[data-filter="search"]', "1001")
    expect(visible_rows(board)).to_have_count(1)
    board.fill('[data-filter="search"]', "")
    expect(visible_rows(board)).to_have_count(60)
    tile = board.locator('[data-tile="unavailable"]')
    count = int(tile.locator("strong").inner_text())
    tile.click()
    expect(tile).to_have_attribute("aria-pressed", "true")
    expect(visible_rows(board)).to_have_count(count)
    tile.click()
    team = board.locator('[data-filter="team"] option').nth(1).get_attribute("value")
    board.select_option('[data-filter="team"]', team)
    shown = sum(int(board.locator(f'[data-count="{k}"]').inner_text()) for k in ("available", "contact", "acw", "unavailable", "loggedout"))
    assert shown == visible_rows(board).count() < 60  # the tiles follow the team filter


def test_agents_over_a_threshold_are_marked_in_words_and_counted(board):
    attention = int(board.locator('[data-count="attention"]').inner_text())
    marked = board.locator('[data-test="agents"] tbody tr.breach')
    assert marked.count() == attention
    if attention:
        assert "over" in marked.first.locator("td.attention").inner_text()  # words and an icon, not colour alone
        board.locator("button[data-sort=attention]").click()
        assert "over" in rows(board).first.locator("td.attention").inner_text()


def test_the_drawer_by_keyboard_alone(board):
    button = rows(board).nth(3).locator("button.agent-name")
    button.focus()
    board.keyboard.press("Enter")
    drawer = board.locator('[data-test="drawer"]')
    expect(drawer).to_be_visible()
    expect(board.locator("#drawer-title")).to_be_focused()
    assert drawer.bounding_box()["y"] < 900  # it opens in view, not 2,900 px below
    expect(drawer.locator('[data-test="agent-contacts"] tbody tr').first).to_be_visible()
    board.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(button).to_be_focused()


def test_each_action_from_the_drawer_confirms_says_the_outcome_and_updates_the_board(board):
    """CXone applies a state change at once, or, when the agent has just taken a contact, when
    that contact ends: the board shows one or the other at its next poll."""
    row = board.locator('[data-test="agents"] tbody tr[data-agent-id].state-available').first
    agent_id = row.get_attribute("data-agent-id")
    row.locator("button.agent-name").click()
    drawer = board.locator('[data-test="drawer"]')
    reasons = drawer.locator('[data-field="reason"] option')
    expect(reasons.first).not_to_have_text("Loading reasons…")
    drawer.locator('[data-field="reason"]').select_option(label="Break")
    drawer.locator("[data-act=unavailable]").click()
    confirm = board.locator('[data-test="confirm"]')
    expect(confirm).to_be_visible()
    assert "Unavailable" in confirm.inner_text()
    shot(board, "board-confirm.png")
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("becomes Unavailable (Break)")
    the_row = board.locator(f'[data-test="agents"] tbody tr[data-agent-id="{agent_id}"]')
    expect(the_row.locator("td.state")).to_contain_text(re.compile("Break|☎"), timeout=12000)
    drawer.locator("[data-act=available]").click()
    expect(confirm).to_contain_text("Available")
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("becomes Available")
    expect(the_row.locator("td.state")).to_contain_text(re.compile("Available|☎"), timeout=12000)
    drawer.locator("[data-act=logout]").click()
    expect(confirm).to_contain_text("ends any active call")
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("logged out")
    expect(the_row.locator("td.state")).to_contain_text("Logged out", timeout=12000)  # a logout cuts the contact
    drawer.locator("[data-act=logout]").click()
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("CXone refused")  # 409: already logged out
    shot(board, "board-drawer.png")


def test_a_message_to_a_team(board):
    board.locator("[data-action=message-team]").click()
    dialog = board.locator('[data-test="message-dialog"]')
    expect(dialog).to_be_visible()
    dialog.locator("input[name=subject]").fill("Huddle")
    dialog.locator("textarea[name=message]").fill("Five minutes, by the window.")
    dialog.locator("button[value=send]").click()
    expect(board.locator('[data-test="message-outcome"]')).to_contain_text("Message sent")


def test_the_wallboard_reads_from_across_a_room(board):
    board.goto(board.url.replace("/supervisor/", "/supervisor/wallboard/"))
    counts = board.locator('[data-test="wall-counts"] strong')
    expect(counts.first).not_to_have_text("…")
    expect(board.locator('[data-test="wall-queues"] tbody tr').first).to_be_visible()
    size = float(counts.first.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    assert size >= 40
    assert board.locator("button, input, select").count() == board.locator("header button, header input, header select, footer button").count()
    shot(board, "wallboard.png")


def test_the_drawer_and_its_dialogs_pass_axe_at_desktop_and_phone_widths(board):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def serious():
        found = axe.run(board).response["violations"]
        return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
    for width in (1280, 390):
        board.set_viewport_size({"width": width, "height": 900})
        rows(board).nth(2).locator("button.agent-name").click()
        expect(board.locator('[data-test="drawer"]')).to_be_visible()
        assert serious() == [], f"drawer at {width}"
        board.locator('[data-test="drawer"] [data-act=logout]').click()
        assert serious() == [], f"confirmation at {width}"
        board.keyboard.press("Escape")  # the dialog closes; nothing done
        expect(board.locator('[data-test="confirm"]')).to_be_hidden()
        board.locator('[data-test="drawer"] [data-act=message]').click()
        assert serious() == [], f"message form at {width}"
        board.keyboard.press("Escape")
        board.keyboard.press("Escape")  # and the drawer
        assert board.evaluate("document.documentElement.scrollWidth") <= width
