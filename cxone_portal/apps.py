from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "cxone_portal"
    verbose_name = "CXone Portal"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
