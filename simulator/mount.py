"""Serve the simulator beside the portal in one dev server, under CXONE_SIMULATOR_PREFIX."""
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from .api import TEAM_SIZE
from .demo import DEMO_CLIENT_ID, demo_client, demo_tenants, practice_tenant
from .provider import CXoneSimulator


class SimulatorDispatcher:
    def __init__(self, portal, simulator, prefix):
        self.portal, self.simulator, self.prefix = portal, simulator, prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return self.simulator(environ, start_response)
        return self.portal(environ, start_response)


def _origin():
    parts = urlsplit(settings.CXONE_SIMULATOR_ISSUER)
    return f"{parts.scheme}://{parts.netloc}"


def registered_redirect_uris():
    """Like CXone, the simulator sends codes only to the redirect URIs its client registered:
    those of the environments registered for it in this portal, on the portal's own origin."""
    from tenants.models import Environment

    environments = Environment.objects.filter(issuer=settings.CXONE_SIMULATOR_ISSUER, client_id=DEMO_CLIENT_ID)
    return [_origin() + reverse("oidc_environment_callback", args=[key]) for key in environments.values_list("key", flat=True)]


def registered_post_logout_redirect_uris():
    return [_origin() + reverse("signed_out")]


def mount(portal_app, team_size=None):
    """The simulator in front of the portal; `team_size` agents per tenant (default: the
    CXONE_SIMULATOR_AGENTS setting, else 60)."""
    simulator = CXoneSimulator(
        settings.CXONE_SIMULATOR_ISSUER,
        [*demo_tenants(), practice_tenant()],  # the last one for the admin to register
        [demo_client(registered_redirect_uris, registered_post_logout_redirect_uris)],
        token_ttl=settings.CXONE_SIMULATOR_TOKEN_TTL,
    )
    simulator.api.team_size = team_size or getattr(settings, "CXONE_SIMULATOR_AGENTS", TEAM_SIZE)
    return SimulatorDispatcher(portal_app, simulator, settings.CXONE_SIMULATOR_PREFIX)
