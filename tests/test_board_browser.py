"""The team board in real headless Chromium against `make run`'s demo: a virtualised list (only
the rows in view are in the page; rows keyed by agent, so focus survives a poll, a sort and
scrolling; Home/End, Page Up/Down), sort with aria-sort, search, tiles that filter and add up,
thresholds in words, the drawer by keyboard alone, each action from the page (only those that
can work, each refusal worded for what was refused), the message form, and the wallboard.

Every wait is on a condition with a deadline (Playwright's expect); a poll is proven by the
board's version changing, never by waiting a fixed time."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import BROWSER_WAIT_MS
from .test_browser import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def board(chromium, demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    expect(page.locator('[data-test="shown"]')).to_have_text(re.compile(r"^60 of 60 agents"))
    yield page
    context.close()


def rows(page):
    return page.locator('[data-test="agents"] tbody tr[data-agent-id]')


def shown(page):
    """The list's own count of the agents in its view ("12 of 60 agents")."""
    return int(re.match(r"\D*(\d[\d,.\s]*)", page.locator('[data-test="shown"]').inner_text()).group(1).replace(",", "").replace(".", "").replace(" ", "").replace("\u202f", ""))


def version(page):
    return page.locator("[data-workspace=supervisor]").get_attribute("data-version")


def next_poll(page):
    """Wait until the board applied a newer answer (its version moved)."""
    before = version(page)
    expect(page.locator("[data-workspace=supervisor]")).not_to_have_attribute("data-version", before, timeout=20000)


def test_only_the_rows_in_view_are_in_the_page(board):
    table = board.locator('[data-test="agents"]')
    expect(table).to_have_attribute("aria-rowcount", "61")  # the header and 60 agents
    in_page = rows(board).count()
    assert 0 < in_page < 60
    assert rows(board).first.get_attribute("aria-rowindex") == "2"
    # Scrolled to the end, the last agent is a row and the first is not.
    board.locator('[data-test="agent-scroller"]').evaluate("n => { n.scrollTop = n.scrollHeight; }")
    expect(rows(board).last).to_have_attribute("aria-rowindex", "61")
    expect(board.locator('[data-test="agents"] tbody tr[aria-rowindex="2"]')).to_have_count(0)
    assert rows(board).count() < 60


def test_focus_survives_polls_sorting_and_scrolling_and_keys_move_it(board):
    button = rows(board).nth(5).locator("button.agent-name")
    name = button.inner_text()
    button.focus()
    next_poll(board)
    expect(board.locator("button.agent-name:focus")).to_have_text(name)
    # A sort re-arranges data; the focused agent keeps its element and its focus.
    board.locator("button.sort[data-sort=time]").dispatch_event("click")
    expect(board.locator("th:has(button[data-sort=time])")).to_have_attribute("aria-sort", "descending")
    expect(board.locator("button.agent-name:focus")).to_have_text(name)
    # Scrolled far away, the focused agent stays in the page, focused.
    board.locator('[data-test="agent-scroller"]').evaluate("n => { n.scrollTop = n.scrollHeight; }")
    expect(rows(board).last).to_have_attribute("aria-rowindex", "61")
    expect(board.locator("button.agent-name:focus")).to_have_text(name)
    # Keys, in name order (a poll may re-order a list sorted by time in state under the keys).
    board.locator("button.sort[data-sort=name]").dispatch_event("click")
    expect(board.locator("th:has(button[data-sort=name])")).to_have_attribute("aria-sort", "ascending")
    expect(board.locator("button.agent-name:focus")).to_have_text(name)
    board.keyboard.press("Home")
    expect(board.locator("tr:has(button.agent-name:focus)")).to_have_attribute("aria-rowindex", "2")
    board.keyboard.press("ArrowDown")
    expect(board.locator("tr:has(button.agent-name:focus)")).to_have_attribute("aria-rowindex", "3")
    board.keyboard.press("End")
    expect(board.locator("tr:has(button.agent-name:focus)")).to_have_attribute("aria-rowindex", "61")
    board.keyboard.press("PageUp")
    index = int(board.locator("tr:has(button.agent-name:focus)").get_attribute("aria-rowindex"))
    assert 2 <= index < 60
    board.keyboard.press("PageDown")
    assert int(board.locator("tr:has(button.agent-name:focus)").get_attribute("aria-rowindex")) > index
    # One tab stop in the list: Tab leaves it.
    assert board.locator('[data-test="agents"] button.agent-name[tabindex="0"]').count() == 1


def test_sort_search_and_tiles_that_filter(board):
    header = board.locator("th:has(button[data-sort=time])")
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    times = rows(board).locator("td.time").all_inner_texts()[:10]
    seconds = [sum(int(x) * 60 ** i for i, x in enumerate(reversed(t.split(":")))) for t in times]
    assert seconds == sorted(seconds, reverse=True)
    board.fill('[data-filter="search"]', "1001")
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(r"^1 of 60"))
    expect(rows(board)).to_have_count(1)
    board.fill('[data-filter="search"]', "")
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(r"^60 of 60"))
    tile = board.locator('[data-tile="unavailable"]')
    count = int(tile.locator("strong").inner_text())
    tile.click()
    expect(tile).to_have_attribute("aria-pressed", "true")
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(rf"^{count} of 60"))
    tile.click()
    team = board.locator('[data-filter="team"] option').nth(1).get_attribute("value")
    board.select_option('[data-filter="team"]', team)
    tiles = sum(int(board.locator(f'[data-count="{k}"]').inner_text()) for k in ("available", "contact", "acw", "unavailable", "loggedout"))
    assert tiles == shown(board) < 60  # the tiles follow the team filter and add up to the rows


def test_after_call_work_has_one_name(board):
    """An agent in ACW is "After-call work — <code>" in the row, under the tile's filter."""
    acw = int(board.locator('[data-count="acw"]').inner_text())
    board.select_option('[data-filter="state"]', "acw")
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(rf"^{acw} of 60"))
    for text in rows(board).locator("td.state").all_inner_texts():
        assert text.startswith("✎ After-call work"), text
    unavailable = board.evaluate("() => [...window.Board.agents.values()].filter(a => window.Portal.stateGroup(a) === 'unavailable').length")
    assert int(board.locator('[data-count="unavailable"]').inner_text()) == unavailable


def test_agents_over_a_threshold_are_marked_in_words_and_counted(board):
    attention = int(board.locator('[data-count="attention"]').inner_text())
    board.locator('[data-tile="attention"]').click()
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(rf"^{attention} of 60"))
    for row in rows(board).all()[:5]:
        assert "over" in row.locator("td.attention").inner_text()  # words and an icon, not colour alone
        assert "breach" in row.get_attribute("class")


def test_the_drawer_by_keyboard_alone(board):
    button = rows(board).nth(3).locator("button.agent-name")
    name = button.inner_text()
    button.focus()
    board.keyboard.press("Enter")
    drawer = board.locator('[data-test="drawer"]')
    expect(drawer).to_be_visible()
    expect(board.locator("#drawer-title")).to_be_focused()
    assert drawer.bounding_box()["y"] < 900  # it opens in view
    expect(drawer.locator('[data-test="agent-contacts"] tbody tr').first).to_be_visible()
    board.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(board.locator("button.agent-name:focus")).to_have_text(name)


def test_each_action_from_the_drawer_confirms_says_the_outcome_and_updates_the_board(board):
    """CXone applies a state change at once, or, when the agent has just taken a contact, when
    that contact ends: the board shows one or the other at its next poll."""
    board.select_option('[data-filter="state"]', "available")
    row = rows(board).first
    agent_id = row.get_attribute("data-agent-id")
    board.fill('[data-filter="search"]', agent_id)
    board.select_option('[data-filter="state"]', "")
    the_row = board.locator(f'[data-test="agents"] tbody tr[data-agent-id="{agent_id}"]')
    the_row.locator("button.agent-name").click()
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
    expect(the_row.locator("td.state")).to_contain_text(re.compile("Break|☎"), timeout=20000)
    drawer.locator("[data-act=available]").click()
    expect(confirm).to_contain_text("Available")
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("becomes Available")
    expect(the_row.locator("td.state")).to_contain_text(re.compile("Available|☎"), timeout=20000)
    drawer.locator("[data-act=logout]").click()
    expect(confirm).to_contain_text("ends any active call")
    confirm.locator("button[value=ok]").click()
    expect(drawer.locator('[data-test="outcome"]')).to_contain_text("logged out")
    expect(the_row.locator("td.state")).to_contain_text("Logged out", timeout=20000)  # a logout cuts the contact
    # A logged-out agent: no log-out and no state change offered, and the drawer says why.
    expect(drawer.locator("[data-act=logout]")).to_be_hidden()
    expect(drawer.locator("[data-act=available]")).to_be_hidden()
    expect(drawer.locator("[data-act=unavailable]")).to_be_hidden()
    expect(drawer.locator('[data-test="logged-out-note"]')).to_be_visible()
    expect(drawer.locator("[data-act=message]")).to_be_visible()
    shot(board, "board-drawer.png")


def test_a_refusal_says_what_was_refused(board):
    """An after-call-work code for an agent on no contact (one away on a break: no contact comes
    their way): CXone refuses the state change, and the words say it was the state change."""
    board.select_option('[data-filter="state"]', "unavailable")
    rows(board).first.locator("button.agent-name").click()
    drawer = board.locator('[data-test="drawer"]')
    expect(drawer.locator('[data-field="reason"] option').first).not_to_have_text("Loading reasons…")
    acw = drawer.locator('[data-field="reason"] option', has_text="needs an active contact").first
    drawer.locator('[data-field="reason"]').select_option(value=acw.get_attribute("value"))
    drawer.locator("[data-act=unavailable]").click()
    board.locator('[data-test="confirm"] button[value=ok]').click()
    outcome = drawer.locator('[data-test="outcome"]')
    expect(outcome).to_contain_text("CXone refused to change the state of")
    assert "log" not in outcome.inner_text().split(".")[0]


def test_a_message_to_a_team(board):
    board.locator("[data-action=message-team]").click()
    dialog = board.locator('[data-test="message-dialog"]')
    expect(dialog).to_be_visible()
    teams = dialog.locator('[data-field="team-id"] option').all_inner_texts()
    assert teams == sorted(teams)  # teams by name
    dialog.locator("input[name=subject]").fill("Huddle")
    dialog.locator("textarea[name=message]").fill("Five minutes, by the window.")
    dialog.locator("button[value=send]").click()
    expect(board.locator('[data-test="message-outcome"]')).to_contain_text("Message sent")


def test_csv_holds_every_row_of_the_filter_with_time_as_a_clock(board):
    board.select_option('[data-filter="state"]', "loggedout")
    count = shown(board)
    with board.expect_download() as download:
        board.locator("[data-action=csv]").click()
    name = download.value.suggested_filename
    assert re.fullmatch(r"team-board-acme-\d{4}-\d\d-\d\d-\d{6}\.csv", name), name
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").strip("\r\n").split("\r\n")
    head = lines[0].split(",")
    assert head[:3] == ["Agent", "Login", "Agent ID"] and "Time in state" in head and "Seconds in state" in head
    assert len(lines) == count + 1
    at, seconds = head.index("Time in state"), head.index("Seconds in state")
    for line in lines[1:]:
        cells = line.split(",")
        h, m, s = (int(x) for x in cells[at].split(":"))
        assert h * 3600 + m * 60 + s == int(cells[seconds])
    # Formulas stay text.
    assert board.evaluate("() => window.Portal.csv([['=1+1', '@x', 'plain']])") == "\ufeff'=1+1,'@x,plain\r\n"


def test_the_wallboard_is_a_kiosk_that_fills_a_tv(board):
    for width, height, smallest in ((1920, 1080, 24), (3840, 2160, 48)):
        board.set_viewport_size({"width": width, "height": height})
        board.goto(board.url.split("/supervisor/")[0] + "/supervisor/wallboard/")
        counts = board.locator('[data-test="wall-counts"] strong')
        expect(counts.first).not_to_have_text("…")
        queues = board.locator('[data-test="wall-queues"] tbody tr')
        expect(queues.first).to_be_visible()
        assert board.evaluate("document.documentElement.scrollHeight") <= height  # fills the screen, no scrolling
        assert board.evaluate("document.documentElement.scrollWidth") <= width
        wall = board.locator("[data-workspace=wallboard]").bounding_box()
        assert wall["width"] > width * 0.9 and wall["height"] > height * 0.85
        expect(board.get_by_role("button", name="Sign out")).to_be_hidden()
        expect(board.locator('[data-test="language-switch"]')).to_be_hidden()
        # Every queue on screen, or paged with a label saying which.
        visible = [q for q in queues.all() if q.is_visible()]
        if len(visible) < queues.count():
            expect(board.locator('[data-test="wall-page"]')).to_contain_text(f"of {queues.count()}")
        for q in visible:
            box = q.bounding_box()
            assert box["y"] + box["height"] <= height
        size = float(queues.first.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
        assert size >= smallest  # readable from 3 m
        if width == 1920:
            shot(board, "wallboard.png")


def test_the_drawer_and_its_dialogs_pass_axe_at_desktop_and_phone_widths(board):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def serious():
        found = axe.run(board).response["violations"]
        return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
    for width in (1280, 390):
        board.set_viewport_size({"width": width, "height": 900})
        board.select_option('[data-filter="state"]', "available")
        rows(board).first.locator("button.agent-name").click()
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
        board.select_option('[data-filter="state"]', "")
        assert board.evaluate("document.documentElement.scrollWidth") <= width


def test_a_skill_filter_counts_the_agents_who_have_the_skill_as_its_queue_row_does(board):
    """Issue 25: the tiles under a skill filter agree with that skill's queue row ("logged in"):
    the filter means the agents CXone assigns the skill to, not the skill of the contact in hand."""
    queue = board.locator('[data-test="skills"] tbody tr').first
    expect(queue).to_be_visible()
    skill = queue.locator("th").inner_text()
    board.select_option("[data-filter=skill]", label=skill)

    def logged_in_on_tiles():
        counts = [int(re.sub(r"\D", "", board.locator(f'[data-count="{group}"]').inner_text()) or 0)
                  for group in ("available", "contact", "acw", "unavailable")]
        return sum(counts)

    def logged_in_in_queue_row():
        row = board.locator('[data-test="skills"] tbody tr', has=board.locator("th", has_text=skill)).first
        return int(re.sub(r"\D", "", row.locator("td").nth(4).inner_text().split("/")[0]))

    # The board and the queues are two polls of one moving simulator: wait until they agree.
    for _ in range(40):
        if logged_in_on_tiles() == logged_in_in_queue_row() > 0:
            break
        board.wait_for_timeout(250)  # the page's own polls move; no assertion rests on this pause
    assert logged_in_on_tiles() == logged_in_in_queue_row() > 0


def test_the_queue_table_asks_with_the_etag_it_was_given(board):
    """The skills poll (and the skill assignments') sends If-None-Match with the ETag of what the
    page shows: an unchanged answer is a 304, no body to send or table to rebuild."""
    def skills_request(request):
        return "/api/supervisor/skills/" in request.url
    first = board.wait_for_event("request", predicate=skills_request, timeout=BROWSER_WAIT_MS)
    answer = first.response()
    shown_tag = answer.headers.get("etag") if answer.status == 200 else first.headers.get("if-none-match")
    assert shown_tag
    second = board.wait_for_event("request", predicate=skills_request, timeout=BROWSER_WAIT_MS)
    assert second.headers.get("if-none-match") == shown_tag
    assert second.response().status in (200, 304)
