"""WSGI entry point for gunicorn (and for runserver, through WSGI_APPLICATION)."""
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxone_portal.settings")

application = get_wsgi_application()

if settings.CXONE_SIMULATOR and settings.DEBUG:
    from simulator.mount import mount

    application = mount(application)
