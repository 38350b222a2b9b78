from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse

from .middleware import wants_json


def signin_required(view):
    """login_required that answers XHR with 401 JSON instead of a redirect to a page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return JsonResponse(
                {"error": "not_signed_in", "login_url": reverse("login")},
                status=401,
            )
        return redirect_to_login(request.get_full_path())

    return wrapper
