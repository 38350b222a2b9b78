"""The demo world `make run` registers: one app registration, two tenants, their users."""
from .api import VIEW_ONLY_ROLE
from .provider import SimClient, SimTenant, SimUser

# VIEW_ONLY_ROLE is a custom CXone role (tenants define their own): the portal maps it as a
# supervisor's, while the simulator's APIs let it read the team and refuse its actions (403),
# as CXone does for a role without the permission.

DEMO_CLIENT_ID = "cxone-portal-demo"
DEMO_CLIENT_SECRET = "demo-client-secret-for-the-simulator-only"


def demo_tenants():
    return [
        SimTenant(
            tenant_id="11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10",
            name="Acme Support",
            slug="acme",
            short_name="ACME_SUPPORT",
            brand_color="#0b5cab",
            bu_id=4601234,
            area="na1",
            cluster="C32",
            users=[
                SimUser("alex.agent@acme.example", "Alex", "Rivera", "Agent", agent_id=1001),
                SimUser("sam.supervisor@acme.example", "Samira", "Okafor", "Manager", agent_id=1002),
                SimUser("ada.admin@acme.example", "Ada", "Lindqvist", "Administrator", agent_id=1003),
                SimUser("vera.viewer@acme.example", "Vera", "Holm", VIEW_ONLY_ROLE, agent_id=1004),
                # A team lead whose CXone view holds two teams only (Billing, Escalations).
                SimUser("tara.lead@acme.example", "Tara", "Lund", "Manager", agent_id=1005, teams=(3, 4)),
            ],
        ),
        SimTenant(
            tenant_id="2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20",
            name="Globex Care",
            slug="globex",
            short_name="GLOBEX_CARE",
            brand_color="#7a3e9d",
            bu_id=4609876,
            area="eu1",
            cluster="E12",
            users=[
                SimUser("gus.agent@globex.example", "Gus", "Moreau", "Agent", agent_id=2001),
                SimUser("tess.lead@globex.example", "Tess", "Nakamura", "Manager", agent_id=2002),
                SimUser("olga.admin@globex.example", "Olga", "Petrova", "Administrator", agent_id=2003),
                SimUser("vic.viewer@globex.example", "Victor", "Salas", VIEW_ONLY_ROLE, agent_id=2004),
            ],
        ),
    ]


def practice_tenant():
    """A tenant the simulator knows but `setup_demo` does not register: an admin can practise
    registering a tenant through the admin form (its tenantId is printed by setup_demo)."""
    return SimTenant(
        tenant_id="3a7c9e1b-2d4f-4a6b-8c0e-5f7a9b1c3d30",
        name="Initech Help",
        slug="initech",
        short_name="INITECH_HELP",
        brand_color="#b5480e",
        bu_id=4605555,
        area="au1",
        cluster="A31",
        users=[
            SimUser("ivy.agent@initech.example", "Ivy", "Nguyen", "Agent", agent_id=3001),
            SimUser("pete.lead@initech.example", "Peter", "Gibbons", "Manager", agent_id=3002),
        ],
    )


def demo_client(redirect_uris=None, post_logout_redirect_uris=None):
    return SimClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uris, post_logout_redirect_uris)
