from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "CXone Portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the system checks)
        from .observability import remember_tenant

        user_logged_in.connect(remember_tenant, dispatch_uid="cxone-log-tenant")
        if settings.OTEL_EXPORTER_OTLP_ENDPOINT:  # tracing: off (nothing imported) unless set
            from .tracing import init as start_tracing

            start_tracing()
