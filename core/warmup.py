"""Everything a first request would otherwise pay for, done before the instance takes traffic.

A fresh gunicorn process spent ~2.5 s importing the views, compiling templates and reading
catalogues on its first requests. gunicorn.conf.py preloads the application (`preload_app`),
so this runs once in the master before it opens its port, and every worker forks warm;
`/readyz` (database and cache) then says when the instance may get traffic.
"""
import logging
import time

logger = logging.getLogger(__name__)

TEMPLATES = [
    "base.html", "error.html", "500.html", "outage.html",
    "accounts/login.html", "accounts/account.html", "accounts/signed_out.html", "accounts/signin_failed.html",
    "workspaces/agent.html", "workspaces/supervisor.html", "workspaces/wallboard.html", "workspaces/forbidden.html",
]


def warm():
    from django.conf import settings
    from django.template import TemplateDoesNotExist, loader
    from django.urls import get_resolver
    from django.utils import translation

    started = time.monotonic()
    resolver = get_resolver()
    resolver.url_patterns  # imports every view module
    resolver._populate()
    for name in TEMPLATES:
        try:
            loader.get_template(name)
        except TemplateDoesNotExist:
            pass
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Sign in")  # loads the language's catalogues
    import core.metrics  # noqa: F401  (prometheus_client and the portal's metrics)
    import workspaces.cxone_api  # noqa: F401

    logger.info("warmed up", extra={"event": "warmup", "duration_ms": round((time.monotonic() - started) * 1000, 1)})
