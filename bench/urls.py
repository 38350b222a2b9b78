from django.core.cache import cache
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from mozilla_django_oidc import views as stock

from cxone_portal.urls import urlpatterns as portal
from workspaces.api import SUPERVISOR, page_view


def old_board_key(request):
    identity = request.user.cxone_identity
    return f"bench:old-board:{identity.tenant_id}:{identity.cxone_user_id or identity.pk}"


@never_cache
@page_view(SUPERVISOR)
def old_board(request):
    """The board's cached poll before issue 15 (bench/board_scale.py's baseline): the agents
    dict unpickled from the cache, sorted by last and first name, encoded on every poll."""
    data = cache.get(old_board_key(request))
    return JsonResponse({"agents": sorted(data["agents"].values(), key=lambda a: (a["lastName"].lower(), a["firstName"].lower()))})


urlpatterns = [
    path("stock/authenticate/", stock.OIDCAuthenticationRequestView.as_view(), name="stock_init"),
    path("stock/callback/", stock.OIDCAuthenticationCallbackView.as_view(), name="stock_callback"),
    path("bench/old-board/", old_board, name="bench_old_board"),
    *portal,
]
