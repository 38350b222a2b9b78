"""WSGI entry point for gunicorn (and for runserver, through WSGI_APPLICATION)."""
import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxone_portal.settings")

application = get_wsgi_application()

# Refuse to serve with a system check error (e.g. the simulator switched on in production).
_errors = [str(e) for e in checks.run_checks(include_deployment_checks=False) if e.is_serious()]
if _errors:
    raise ImproperlyConfigured("System check errors:\n" + "\n".join(_errors))

from core.web import simulator_on  # noqa: E402  (settings must be configured first)
from core.warmup import warm  # noqa: E402

warm()

if simulator_on():
    from simulator.mount import mount

    application = mount(application)
