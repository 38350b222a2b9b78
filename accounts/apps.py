from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "CXone sign-in"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
