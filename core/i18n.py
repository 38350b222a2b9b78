"""Languages and time zones: the signed-in user's choices, applied to each request, and the
catalogues compiled for it.

Precedence: a signed-in user's stored choice (`UserPreference`, one cache read per request),
then Django's LocaleMiddleware (language cookie, then Accept-Language). Times are stored in UTC;
a picked zone is activated for the server's rendering and handed to the page's scripts as
`data-time-zone` on <html> (static/js/localtime.js); without one the browser's zone is used.

`python -m core.i18n compile` builds locale/**/*.mo from the .po catalogues (`make messages`):
with gettext's msgfmt when it is installed, else with polib (pure Python, in requirements.txt).
"""
import functools
import shutil
import subprocess
import sys
import zoneinfo
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def bcp47(language):
    """Django's language code as a BCP 47 tag for other parties (CXone's `ui_locales`,
    Intl): "pt-br" -> "pt-BR", "es" -> "es"."""
    return translation.to_locale(language).replace("_", "-")


def ui_locales():
    """The active language, as OpenID Connect's `ui_locales` wants it."""
    return bcp47(translation.get_language() or settings.LANGUAGE_CODE)


def supported_language(code):
    """`code` if it is one of LANGUAGES (exact or by its generic variant), else ''."""
    try:
        return translation.get_supported_language_variant(code) if code else ""
    except LookupError:
        return ""


@functools.cache
def time_zone_names():
    """IANA zones a person can pick: Area/City names and UTC (no aliases like "EST5EDT")."""
    names = (name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    return ("UTC", *sorted(names))


def valid_time_zone(name):
    return name if name and name in time_zone_names() else ""


class UserPreferenceMiddleware:
    """Applies a signed-in user's language and time zone, and keeps the language switch.

    Sits after AuthenticationMiddleware (and LocaleMiddleware, which it overrides for
    signed-in users who chose a language). A switch through Django's `set_language` while
    signed in is stored for the user, so their next browser starts in it too.
    """

    def __init__(self, get_response):
        from .models import UserPreference

        self.get_response = get_response
        self.preferences = UserPreference

    def __call__(self, request):
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        language, zone = self.preferences.of(user_id) if user_id else ("", "")
        language = supported_language(language)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        zone = valid_time_zone(zone)
        # Like LocaleMiddleware's request.LANGUAGE_CODE: the zone the user picked, '' for the
        # browser's (base.html writes it on <html data-time-zone>).
        request.time_zone_choice = zone
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        cookie = settings.LANGUAGE_COOKIE_NAME
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "set_language" and cookie in response.cookies:
            if user_id:
                self.preferences.store(user_id, language=response.cookies[cookie].value)
        elif language and request.COOKIES.get(cookie) != language:
            # The stored choice follows the user into this browser (it outlives the session).
            set_language_cookie(response, language)
        return response


def catalog_modified(request, *args, **kwargs):
    """When the active language's script catalogue last changed (its compiled djangojs.mo), for
    `/jsi18n/`'s Last-Modified: a browser revalidates and gets a 304 per language."""
    language = translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    compiled = LOCALE_DIR / language / "LC_MESSAGES" / "djangojs.mo"
    stamp = compiled.stat().st_mtime if compiled.exists() else Path(__file__).stat().st_mtime
    return datetime.fromtimestamp(int(stamp), tz=dt_timezone.utc)


def set_language_cookie(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# --- compiling the catalogues (make messages) ---------------------------------------------


def compile_catalogues(locale_dir=LOCALE_DIR, force=False):
    """Compile every .po under `locale_dir` whose .mo is missing or older; returns the .mo
    paths written. msgfmt checks formats too; polib is the fallback where gettext is absent."""
    msgfmt = shutil.which("msgfmt")
    written = []
    for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        if msgfmt:
            subprocess.run([msgfmt, "--check-format", "-o", str(mo), str(po)], check=True)
        else:
            import polib

            polib.pofile(str(po)).save_as_mofile(str(mo))
        written.append(mo)
    return written


if __name__ == "__main__":
    if sys.argv[1:2] != ["compile"]:
        sys.exit("usage: python -m core.i18n compile [--force]")
    done = compile_catalogues(force="--force" in sys.argv)
    print(f"compiled {len(done)} catalogue(s)" if done else "catalogues up to date")
