"""The sent messages and their retract in real headless Chromium against `make run`'s demo, by
keyboard alone, in English, German and Hebrew at 1280 and 390 px: the message dialog offers how
long a message stays, the list opens as a disclosure, a retract asks first and says what CXone
did, nothing is clipped or scrolls sideways, and axe finds nothing serious."""
import gettext
import os
import re
import uuid

import pytest
from playwright.sync_api import expect

from . import procs
from .conftest import BROWSER_WAIT_MS
from .test_board_languages_and_phone import open_board, serious, switch_language

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "de", "he"]


def words(language, msgid):
    """The page's own words (the compiled `djangojs` catalogue), as the page shows them."""
    folder = {"pt-br": "pt_BR"}.get(language, language)
    catalogue = gettext.translation("djangojs", os.path.join(procs.ROOT, "locale"), languages=[folder], fallback=True)
    return catalogue.gettext(msgid)


def head(text):
    """The words before the first placeholder: what a sentence with a subject or a time starts with."""
    return text.split("%(")[0].strip(" “\"„")


@pytest.fixture(scope="module")
def supervisor_state(chromium, demo):
    from .test_browser import sign_in

    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    sign_in(page, demo, "Acme Support", "Samira Okafor", lands_on="/supervisor/")
    state = context.storage_state()
    context.close()
    return state


def clipped(page, selector):
    """Elements under `selector` whose text does not fit their box (cut off, not wrapped)."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter(n => n.offsetParent !== null && (n.scrollWidth > n.clientWidth + 1))
        .map(n => (n.getAttribute('data-act') || n.tagName) + ': ' + n.textContent.trim().slice(0, 40))""", selector)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_sent_message_is_listed_and_retracted_by_keyboard(chromium, demo, supervisor_state, language, width):
    context, board = open_board(chromium, demo, supervisor_state, width, language)
    try:
        board.locator('[data-test="agents"] tbody tr[data-agent-id]').first.wait_for()
        subject = f"Fire drill {uuid.uuid4().hex[:6]}"
        board.locator("[data-action=message-team]").click()
        dialog = board.locator('[data-test="message-dialog"]')
        expiry = dialog.locator("select[name=expireMinutes]")
        expect(expiry).to_have_value("480")
        assert expiry.locator("option").count() == 6
        dialog.locator("select[name=targetType]").select_option("Team")  # to a team: Everyone is rate-limited to 3 an hour
        dialog.locator("select[name=teamId] option").first.wait_for(state="attached")
        dialog.locator("input[name=subject]").fill(subject)
        dialog.locator("textarea[name=message]").fill("Leave by the east stairs.")
        assert board.evaluate("document.documentElement.scrollWidth") <= width, f"dialog, {language}, {width}"
        assert clipped(board, '[data-test="message-dialog"] label, [data-test="message-dialog"] button, '
                              '[data-test="message-dialog"] select') == [], f"dialog, {language}, {width}"
        assert serious(board) == [], f"dialog, {language}, {width}"
        dialog.locator("button[value=send]").click()
        outcome = board.locator('[data-test="message-outcome"]')
        expect(outcome).to_have_class(re.compile(r"\bok\b"))
        expect(outcome).to_contain_text(head(words(language, "Message sent to %(to)s.")))

        expect(dialog).to_be_hidden()  # closed: focus is back on the page, not moving under the keys
        panel = board.locator('[data-test="sent-messages"]')
        panel.locator("summary").focus()
        board.keyboard.press("Enter")
        item = panel.locator("li[data-message]").filter(has_text=subject)
        expect(item).to_contain_text(head(words(language, "team %(id)s")))
        assert board.evaluate("document.documentElement.scrollWidth") <= width, f"sent list, {language}, {width}"
        assert clipped(board, '[data-test="sent-messages"] summary, [data-test="sent-messages"] li, '
                              '[data-test="sent-messages"] button') == [], f"sent list, {language}, {width}"
        assert serious(board) == [], f"sent list, {language}, {width}"
        item.locator("[data-act=retract]").focus()
        board.keyboard.press("Enter")
        expect(item.locator("[data-act=retract-confirm]")).to_be_visible()
        assert clipped(board, '[data-test="sent-messages"] button') == [], f"confirm, {language}, {width}"
        assert serious(board) == [], f"confirm, {language}, {width}"
        board.keyboard.press("Shift+Tab")  # from "Keep" back to "Retract for everyone"
        board.keyboard.press("Enter")
        said = words(language, "Retracted: “%(subject)s” is no longer in any inbox.")
        expect(panel.locator("[role=status]")).to_contain_text(said.split("%(subject)s")[-1].strip(" ”“\"“"))
        expect(item).to_contain_text(words(language, "Retracted"))
        expect(item.locator("[data-act=retract]")).to_have_count(0)
        assert board.evaluate("document.documentElement.scrollWidth") <= width, f"retracted, {language}, {width}"
    finally:
        if language != "en":
            board.keyboard.press("Escape")
            switch_language(board, "en")
        context.close()
