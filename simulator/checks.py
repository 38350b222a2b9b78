"""The simulator signs anyone in without a password: it must never run in production."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=False)
def simulator_only_in_debug(app_configs, **kwargs):
    if settings.CXONE_SIMULATOR and not settings.DEBUG:
        return [
            checks.Error(
                "CXONE_SIMULATOR is on while DEBUG is off.",
                hint="The CXone simulator is for development only; turn CXONE_SIMULATOR off.",
                id="cxone.E001",
            )
        ]
    return []
