"""System checks that say at start-up what the settings alone cannot refuse."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def encryption_key_is_not_public(app_configs, **kwargs):
    """Without FIELD_ENCRYPTION_KEY (DEBUG only), secrets are encrypted with a key derived from
    SECRET_KEY; when that is the built-in development key, anyone can compute it."""
    if settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY != settings.DEV_SECRET_KEY:
        return []
    if not settings.DEBUG:
        return [checks.Error(
            "SECRET_KEY is the public development key and FIELD_ENCRYPTION_KEY is unset.",
            hint="Set both from a secret store; see .env.example.", id="cxone.E002",
        )]
    return [checks.Warning(
        "Client secrets and tokens are encrypted with a key derived from the public development "
        "SECRET_KEY: anyone can decrypt this database.",
        hint="Fine for the demo and tests; set FIELD_ENCRYPTION_KEY (and SECRET_KEY) before storing real credentials.",
        id="cxone.W001",
    )]
