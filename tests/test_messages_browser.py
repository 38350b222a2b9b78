"""The sent messages and their retract in real headless Chromium against `make run`'s demo, by
keyboard alone: the message dialog offers how long a message stays, the list opens as a
disclosure, a retract asks first and says what CXone did, and axe finds nothing serious."""
import pytest
from playwright.sync_api import expect

from .test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def board(chromium, demo):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    page.locator('[data-test="agents"] tbody tr[data-agent-id]').first.wait_for()
    yield page
    context.close()


def serious(page):
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def test_a_sent_message_is_listed_and_retracted_by_keyboard(board):
    board.locator("[data-action=message-team]").click()
    dialog = board.locator('[data-test="message-dialog"]')
    expiry = dialog.locator("select[name=expireMinutes]")
    expect(expiry).to_have_value("480")
    assert expiry.locator("option").count() == 6
    dialog.locator("select[name=targetType]").select_option("Everyone")
    dialog.locator("input[name=subject]").fill("Fire drill at 3")
    dialog.locator("textarea[name=message]").fill("Leave by the east stairs.")
    dialog.locator("button[value=send]").click()
    expect(board.locator('[data-test="message-outcome"]')).to_contain_text("Message sent")

    panel = board.locator('[data-test="sent-messages"]')
    panel.locator("summary").focus()
    board.keyboard.press("Enter")
    item = panel.locator("li[data-message]").first
    expect(item).to_contain_text("Fire drill at 3")
    expect(item).to_contain_text("to everyone")
    assert serious(board) == []
    item.locator("[data-act=retract]").focus()
    board.keyboard.press("Enter")
    expect(item.locator("[data-act=retract-confirm]")).to_be_visible()
    board.keyboard.press("Shift+Tab")  # from "Keep" back to "Retract for everyone"
    board.keyboard.press("Enter")
    expect(panel.locator("[role=status]")).to_contain_text("is no longer in any inbox")
    expect(panel.locator("li[data-message]").first).to_contain_text("Retracted")
    expect(panel.locator("li[data-message]").first.locator("[data-act=retract]")).to_have_count(0)
