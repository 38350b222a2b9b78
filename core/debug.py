"""Django's error reports (the DEBUG page, the admins' e-mails) with the portal's secrets
masked: settings and frame variables by name, dicts by key, and any value that looks like a
JWT or a Fernet token whatever it is called. Active with DEBUG on too: Django's own filter
masks frame variables only when DEBUG is off, and the DEBUG page is where they leaked."""
import re

from django.views.debug import SafeExceptionReporterFilter

_SECRET_SHAPES = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}|gAAAAA[\w-]{20,}")


class SecretsReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|VERIFIER|NONCE|CODE|ASSERTION|BASIC|LOCATION|DATABASE_URL",
        flags=re.IGNORECASE,
    )

    def is_active(self, request):
        return True

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.mask(name, value)) for name, value in super().get_traceback_frame_variables(request, tb_frame)]

    def mask(self, name, value):
        if value is self.cleansed_substitute or self.hidden_settings.search(str(name)):
            return self.cleansed_substitute
        if isinstance(value, dict):
            value = self.cleanse_setting(name, value)
        try:
            shown = repr(value)
        except Exception:  # a repr that fails is not shown either
            return self.cleansed_substitute
        return self.cleansed_substitute if _SECRET_SHAPES.search(shown) else value
