"""Serve the simulator beside the portal in one dev server, under CXONE_SIMULATOR_PREFIX."""
from django.conf import settings

from .demo import demo_client, demo_tenants
from .provider import CXoneSimulator


class SimulatorDispatcher:
    def __init__(self, portal, simulator, prefix):
        self.portal, self.simulator, self.prefix = portal, simulator, prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return self.simulator(environ, start_response)
        return self.portal(environ, start_response)


def mount(portal_app):
    simulator = CXoneSimulator(
        settings.CXONE_SIMULATOR_ISSUER,
        demo_tenants(),
        [demo_client()],
        token_ttl=settings.CXONE_SIMULATOR_TOKEN_TTL,
    )
    return SimulatorDispatcher(portal_app, simulator, settings.CXONE_SIMULATOR_PREFIX)
