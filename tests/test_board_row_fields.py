"""The board reads two fields of its rows when the server sends them: `acw` (an agent in
after-call work is "After-call work — <code>" in the row, the drawer, the tiles and the CSV,
and the tiles add up to the rows) and `skills` (the skill filter means the agents who have the
skill). The demo's answers are given those fields on their way to the page (a Playwright route
over the real server's JSON), the same way for every answer, full or delta; and the polite live
region says nothing when the page opens and never names an agent outside the filter."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import BROWSER_WAIT_MS
from .test_board_browser import rows
from .test_browser import sign_in

pytestmark = pytest.mark.browser

EXTRA_SKILL = "Callbacks"


def with_fields(row):
    """Deterministic per agent: unavailable agents with an odd id are in after-call work; every
    third agent also has the extra skill."""
    number = int(re.sub(r"\D", "", row["agentId"]) or 0)
    row = dict(row)
    row["acw"] = row.get("state") == "Unavailable" and number % 2 == 1
    row["skills"] = [s for s in (row.get("skillName"), EXTRA_SKILL if number % 3 == 0 else None) if s]
    return row


@pytest.fixture
def board(chromium, demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)

    def answer(route):
        response = route.fetch()
        if response.status != 200:
            return route.fulfill(response=response)
        body = response.json()
        body["agents"] = [with_fields(a) for a in body.get("agents", [])]
        return route.fulfill(response=response, json=body)

    context.route("**/api/supervisor/agents/**", answer)
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    expect(page.locator('[data-test="agents"]')).to_have_attribute("aria-rowcount", "61")
    yield page
    context.close()


def test_after_call_work_is_one_name_in_rows_tiles_drawer_and_csv(board):
    rows_acw = board.evaluate("() => [...window.Board.agents.values()].filter(a => a.acw === true).length")
    assert rows_acw > 0
    tiles = {k: int(board.locator(f'[data-count="{k}"]').inner_text()) for k in ("available", "contact", "acw", "unavailable", "loggedout")}
    assert sum(tiles.values()) == 60  # the tiles add up to the rows
    board.locator('[data-tile="acw"]').click()
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(rf"^{tiles['acw']} of 60"))
    states = rows(board).locator("td.state").all_inner_texts()
    assert states and all(s.startswith("✎ After-call work") for s in states)
    assert any(" — " in s for s in states)  # with its code
    rows(board).first.locator("button.agent-name").click()
    expect(board.locator('[data-test="drawer"] [data-field="state"]')).to_contain_text("After-call work")
    board.keyboard.press("Escape")
    with board.expect_download() as download:
        board.locator("[data-action=csv]").click()
    lines = open(download.value.path(), encoding="utf-8-sig", newline="").read().strip("\r\n").split("\r\n")
    assert len(lines) == tiles["acw"] + 1
    state = lines[0].split(",").index("State")
    assert all(line.split(",")[state].startswith("After-call work") for line in lines[1:])
    # No row that is in after-call work reads "Unavailable".
    board.locator('[data-tile="acw"]').click()
    board.locator('[data-tile="unavailable"]').click()
    assert not any("After-call" in s for s in rows(board).locator("td.state").all_inner_texts())


def test_the_skill_filter_means_the_agents_who_have_the_skill(board):
    having = board.evaluate(f"() => [...window.Board.agents.values()].filter(a => a.skills.includes('{EXTRA_SKILL}')).length")
    assert having > 0
    select = board.locator('[data-filter="skill"]')
    expect(select.locator(f'option[value="{EXTRA_SKILL}"]')).to_have_count(1)  # an agent's skill no queue lists
    select.select_option(EXTRA_SKILL)
    expect(board.locator('[data-test="shown"]')).to_have_text(re.compile(rf"^{having} of 60"))
    tiles = sum(int(board.locator(f'[data-count="{k}"]').inner_text()) for k in ("available", "contact", "acw", "unavailable", "loggedout"))
    assert tiles == having


def test_the_live_region_is_quiet_at_open_and_keeps_to_the_filter(board):
    live = board.locator('[data-test="live"]')
    team = board.locator('[data-filter="team"] option').nth(1).get_attribute("value")
    board.select_option('[data-filter="team"]', team)
    in_team = set(board.evaluate(f"() => [...window.Board.agents.values()].filter(a => a.teamName === {team!r}).map(a => (a.firstName + ' ' + a.lastName).trim())"))
    for _ in range(2):  # two polls answered (a 304 too: a quiet team changes no version), each announced or not
        with board.expect_response(lambda r: "/api/supervisor/agents/" in r.url, timeout=20000):
            pass
    said = live.inner_text()
    if said and ":" in said:  # one agent, by name
        assert said.split(":")[0] in in_team
    else:
        assert said == "" or "in this view" in said
