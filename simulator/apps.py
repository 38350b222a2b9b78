from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "simulator"
    verbose_name = "CXone simulator (development only)"

    def ready(self):
        from . import checks  # noqa: F401
