"""Languages and time zones: the catalogues are complete and match the code, every template
string is marked, the language and zone follow the browser, the switch and the user's choice.

The catalogues' completeness needs nothing but polib; comparing them with the code re-extracts
the messages with makemessages (gettext's xgettext) into a copy of the tree, so a string added
without `make makemessages` (or left untranslated after it) fails here.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.test import override_settings
from django.utils import translation

from accounts.oidc.authorize import build_authorization_request
from core import i18n
from core.models import UserPreference
from core.reasons import Reason
from simulator import pages

from . import procs
from .conftest import BROWSER_WAIT_MS, query_of

ROOT = Path(procs.ROOT)
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
CATALOGUES = [(translation.to_locale(code), domain) for code in TRANSLATED for domain in DOMAINS]
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sdif]")


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """The .mo files `make messages` builds (pytest run on its own builds them here too)."""
    i18n.compile_catalogues()


def catalogue(locale, domain):
    return polib.pofile(str(LOCALE / locale / "LC_MESSAGES" / f"{domain}.po"))


# --- the catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale,domain", CATALOGUES, ids=[f"{loc}/{dom}" for loc, dom in CATALOGUES])
def test_every_catalogue_is_complete_and_not_fuzzy(locale, domain):
    po = catalogue(locale, domain)
    assert not po.metadata_is_fuzzy, "the header is fuzzy"
    assert po.metadata.get("Language") == locale and po.metadata.get("Plural-Forms")
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        strings = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(strings):
            problems.append(f"untranslated: {entry.msgid!r}")
            continue
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != expected and not entry.msgid_plural:
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    assert not problems, f"locale/{locale}/LC_MESSAGES/{domain}.po:\n" + "\n".join(problems)


def test_every_language_ships_both_catalogues_and_nothing_else():
    shipped = {p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/django.po")}
    assert shipped == {translation.to_locale(code) for code in TRANSLATED}
    for locale, domain in CATALOGUES:
        assert (LOCALE / locale / "LC_MESSAGES" / f"{domain}.po").is_file()


def test_the_catalogues_hold_every_message_in_the_code(tmp_path):
    """makemessages into a copy of the tree: every msgid there is in each shipped catalogue,
    and no catalogue keeps a msgid the code no longer has."""
    if not shutil.which("xgettext"):
        procs.missing("gettext's xgettext is not installed (apt-get install gettext): cannot re-extract the messages")
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT, copy,
        ignore=shutil.ignore_patterns(".*", "var", "staticfiles", "locale", "docs", "bench", "tests", "node_modules", "__pycache__", "*.mo"),
    )
    (copy / "locale").mkdir()
    env = {**procs.inherited_env(), "DJANGO_SETTINGS_MODULE": "cxone_portal.settings", "DEBUG": "1", "VAR_DIR": str(tmp_path / "var")}
    for domain in DOMAINS:
        done = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--locale=es", f"--domain={domain}", "--keep-pot", "--ignore=node_modules"],
            cwd=copy, env=env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        pot = copy / "locale" / f"{domain}.pot"
        in_code = {(e.msgctxt, e.msgid) for e in polib.pofile(str(pot))} if pot.exists() else set()
        for locale, dom in CATALOGUES:
            if dom != domain:
                continue
            shipped = {(e.msgctxt, e.msgid) for e in catalogue(locale, domain) if not e.obsolete}
            missing, stale = in_code - shipped, shipped - in_code
            assert not missing and not stale, (
                f"locale/{locale}/LC_MESSAGES/{domain}.po is out of date: run `make makemessages` and translate.\n"
                f"missing: {sorted(m for _c, m in missing)}\nno longer in the code: {sorted(m for _c, m in stale)}"
            )


@pytest.fixture(scope="module")
def english_words():
    with translation.override("en"):
        return {reason: (str(reason.words), str(reason.advice)) for reason in Reason}


@pytest.mark.parametrize("code", TRANSLATED)
def test_reasons_words_and_advice_are_translated(code, english_words):
    with translation.override(code):
        untranslated = [r.value for r in Reason if str(r.words) == english_words[r][0] or str(r.advice) == english_words[r][1]]
    assert not untranslated, f"{code}: {untranslated}"


# --- templates: every string a person reads is marked -----------------------------------------

TEMPLATES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.html"))
# Templates whose owners are marking their strings this session (remove a line once its
# template passes; the test then keeps it passing).
PENDING = {}  # templates not yet marked for translation (none)
# Names, not words: they read the same in every language.
NOT_WORDS = re.compile(r"\b(?:NICE|CXone|Portal|UTC|tenantId|API|ID)\b")
READ_ATTRIBUTES = re.compile(r'\b(?:title|alt|aria-label|placeholder|aria-description)="([^"]*)"')
SKIPPED_ELEMENTS = re.compile(r"<(script|style|code)\b.*?</\1>", re.S)
LETTERS = re.compile(r"[^\W\d_]{2,}")


def unmarked_strings(source):
    """Text a person reads that is not inside {% translate %} / {% blocktranslate %}: the
    template's text with every tag, variable and translated string replaced by a mark."""
    parts, skipping = [], None
    for token in Lexer(source).tokenize():
        content = token.contents
        if skipping:
            if token.token_type == TokenType.BLOCK and content.split()[0] == skipping:
                skipping = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(content)
        elif token.token_type == TokenType.VAR:
            parts.append("\x00")
        elif token.token_type == TokenType.BLOCK:
            name = content.split()[0] if content else ""
            if name in ("blocktranslate", "blocktrans"):
                skipping = "endblocktranslate" if name == "blocktranslate" else "endblocktrans"
                parts.append("\x00")
            elif name in ("translate", "trans"):
                parts.append("\x00")
            elif name == "comment":
                skipping = "endcomment"
            elif name == "block" and content.split()[1:2] and content.split()[1].endswith("class"):
                skipping = "endblock"  # {% block main_class %}: a class attribute's value
    text = SKIPPED_ELEMENTS.sub(" ", "".join(parts))
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    found = [value for value in READ_ATTRIBUTES.findall(text)]
    found += re.split(r"<[^>]*>", text)
    words = []
    for chunk in found:
        chunk = NOT_WORDS.sub(" ", re.sub(r"&\w+;", " ", chunk.replace("\x00", " ")))
        if LETTERS.search(chunk):
            words.append(" ".join(chunk.split()))
    return words


@pytest.mark.parametrize(
    "template",
    [pytest.param(t, marks=pytest.mark.xfail(reason=PENDING[t], strict=False)) if t in PENDING else t for t in TEMPLATES],
)
def test_every_template_string_is_marked_for_translation(template):
    assert unmarked_strings((ROOT / template).read_text()) == []


def test_the_scanner_finds_unmarked_text_and_attributes():
    assert unmarked_strings('<p title="Hello there">{% translate "Fine" %}</p>') == ["Hello there"]
    assert unmarked_strings("<a class=\"button{% if x %} ghost{% endif %}\">{{ name }}</a> Sign in") == ["Sign in"]
    assert unmarked_strings("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %} <code>manage.py</code> CXone Portal") == []


# --- ui_locales and the simulator's login page --------------------------------------------------


@pytest.mark.parametrize("code,tag", [("en", "en"), ("es", "es"), ("pt-br", "pt-BR"), ("he", "he"), ("de", "de"), ("fr", "fr")])
def test_ui_locales_is_the_active_language_as_bcp47(code, tag):
    with translation.override(code):
        assert i18n.ui_locales() == tag


def test_the_authorize_url_carries_ui_locales_when_asked():
    with_it = build_authorization_request("https://op/auth", client_id="c", redirect_uri="r", ui_locales="pt-BR")
    assert query_of(with_it.url)["ui_locales"] == "pt-BR"
    assert "ui_locales" not in query_of(build_authorization_request("https://op/auth", client_id="c", redirect_uri="r").url)


@pytest.mark.parametrize("asked,speaks", [("es", "es"), ("pt-BR", "pt-BR"), ("pt", "pt-BR"), ("he-IL", "he"), ("ja fr", "fr"), ("", "en"), ("xx", "en")])
def test_the_simulators_login_page_picks_its_language_from_ui_locales(asked, speaks):
    assert pages.login_language(asked) == speaks


def test_the_simulators_login_page_speaks_the_asked_language(cxone):
    tenant = next(iter(cxone.sim.tenants.values()))
    html = pages.login(cxone.sim, {"ui_locales": "he"}, tenant)
    assert '<html lang="he" dir="rtl">' in html and "כניסה" in html


# --- the language and time zone of a request ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("accept,lang,direction,heading", [("es-ES,es;q=0.9", "es", "ltr", "Iniciar sesión"), ("he-IL", "he", "rtl", "כניסה"), ("pt-BR", "pt-br", "ltr", "Entrar"), ("ja", "en", "ltr", "Sign in")])
def test_the_sign_in_page_follows_accept_language(client, accept, lang, direction, heading):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f'<html lang="{lang}" dir="{direction}"' in page
    assert f"<h1>{heading}</h1>" in page
    assert f'<script src="/jsi18n/?l={lang}"></script>' in page  # a URL per language: never another's cached copy
    assert 'action="/i18n/setlang/"' in page and "csrfmiddlewaretoken" in page


@pytest.mark.django_db
def test_the_switch_keeps_the_language_in_a_cookie_and_for_a_signed_in_user(client, django_user_model):
    answer = client.post("/i18n/setlang/", {"language": "fr", "next": "/login/"}, HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 302 and answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "<h1>Se connecter</h1>" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    user = django_user_model.objects.create_user("local", password="x")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "de", "next": "/account/"})
    assert UserPreference.of(user.pk) == ("de", "")
    # Another browser (no cookie, English Accept-Language) gets the stored language and its cookie.
    other = client.__class__()
    other.force_login(user)
    page = other.get("/account/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="de"' in page.content.decode() and page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_a_picked_time_zone_is_stored_activated_and_handed_to_the_page(client, django_user_model):
    user = django_user_model.objects.create_user("local", password="x")
    client.force_login(user)
    page = client.get("/account/").content.decode()
    assert 'data-time-zone=""' in page  # the browser's zone until the user picks one
    saved = client.post("/account/", {"language": "es", "time_zone": "America/Mexico_City"})
    assert saved.status_code == 302 and saved.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/account/").content.decode()
    assert 'data-time-zone="America/Mexico_City"' in page and "America/Mexico_City</strong>" in page
    assert "Se guardaron su idioma y su zona horaria." in page
    # A zone nobody knows is refused, the stored one stays.
    refused = client.post("/account/", {"language": "", "time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 200 and UserPreference.of(user.pk) == ("es", "America/Mexico_City")


@pytest.mark.django_db
def test_the_preference_costs_no_query_once_cached(client, django_user_model, django_assert_num_queries):
    user = django_user_model.objects.create_user("local", password="x")
    UserPreference.store(user.pk, language="he", time_zone="Asia/Jerusalem")
    client.force_login(user)
    client.get("/healthz")
    with django_assert_num_queries(2):  # the session and the user, as without preferences
        client.get("/i18n/setlang/")  # a GET: answered without a view's own query


@pytest.mark.django_db
def test_the_admin_says_which_time_zone_it_shows(admin_client, admin_user):
    assert "Times in UTC" in admin_client.get("/admin/").content.decode()
    UserPreference.store(admin_user.pk, time_zone="Europe/Paris", language="fr")
    assert "Heures en Europe/Paris" in admin_client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_javascript_catalogue_is_served_in_the_language(client):
    catalogue_js = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="es")
    assert catalogue_js.status_code == 200 and "javascript" in catalogue_js["Content-Type"]
    body = catalogue_js.content.decode()
    assert "Zona horaria: %s" in body and "globals.interpolate" in body


@override_settings(LANGUAGE_COOKIE_SECURE=True)
@pytest.mark.django_db
def test_the_language_cookie_is_lax_and_long_lived(client):
    answer = client.post("/i18n/setlang/", {"language": "he"})
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["samesite"] == "Lax" and cookie["secure"] and int(cookie["max-age"]) >= 30 * 24 * 3600


# --- done when: the browser's language and zone, end to end in Chromium ----------------------------

MEXICO = "America/Mexico_City"


def shown_in(page, zone, selector='[data-test="expires-at"]'):
    """The <time> shows its instant as a clock in `zone` reads it (H:MM:SS)."""
    import datetime
    import zoneinfo

    node = page.locator(selector)
    instant = datetime.datetime.fromisoformat(node.get_attribute("datetime")).astimezone(zoneinfo.ZoneInfo(zone))
    text = node.inner_text()
    assert re.search(rf"\b0?{instant.hour}:{instant:%M:%S}\b", text), (text, instant.isoformat())
    return True


@pytest.mark.browser
@pytest.mark.parametrize(
    "locale,lang,direction,heading,account_title,tag,sim_heading",
    [
        ("es-ES", "es", "ltr", "Iniciar sesión", "Cuenta", "es", "Iniciar sesión en Acme Support"),
        ("he-IL", "he", "rtl", "כניסה", "חשבון", "he", "כניסה אל Acme Support"),
    ],
    ids=["spanish", "hebrew"],
)
def test_a_browser_in_spanish_or_hebrew_signs_in_in_its_language_and_zone(
    chromium, demo, locale, lang, direction, heading, account_title, tag, sim_heading,
):
    context = chromium.new_context(locale=locale, timezone_id=MEXICO, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    try:
        page.goto(demo.url + "/login/")
        assert (page.get_attribute("html", "lang"), page.get_attribute("html", "dir")) == (lang, direction)
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
        page.locator(".tenant-link").filter(has_text="Acme Support").click()
        page.wait_for_url("**/cxone-sim/auth/authorize?**")
        authorize_url, cxone_lang = page.url, page.get_attribute("html", "lang")
        page.get_by_role("button", name=re.compile("Alex Rivera")).click()
        page.wait_for_url(re.compile(re.escape(demo.url) + r"/(agent|supervisor)/"))
        page.goto(demo.url + "/account/")
        assert (page.get_attribute("html", "lang"), page.get_attribute("html", "dir")) == (lang, direction)
        assert page.title().startswith(account_title)
        # The browser's zone by default (another test may have left the agent a pick: undo it),
        # then the zone the user picks, whatever the browser's.
        if page.get_attribute("html", "data-time-zone"):
            page.select_option("#id_time_zone", "")
            page.locator('[data-test="save-preferences"]').click()
            page.wait_for_url(demo.url + "/account/")
        assert shown_in(page, MEXICO)
        assert page.locator('[data-test="shown-zone"]').inner_text() == MEXICO
        page.select_option("#id_time_zone", "Asia/Tokyo")
        page.locator('[data-test="save-preferences"]').click()
        page.wait_for_url(demo.url + "/account/")
        assert page.get_attribute("html", "data-time-zone") == "Asia/Tokyo"
        assert shown_in(page, "Asia/Tokyo") and page.locator('[data-test="shown-zone"]').inner_text() == "Asia/Tokyo"
        # CXone's login page was asked in the same language (accounts/oidc_views.py passes
        # ui_locales=core.i18n.ui_locales() to build_authorization_request).
        asked = query_of(authorize_url).get("ui_locales")
        assert asked == tag and cxone_lang == tag
    finally:
        context.close()
