from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "CXone Portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the system checks)
        from .observability import remember_tenant

        user_logged_in.connect(remember_tenant, dispatch_uid="cxone-log-tenant")
