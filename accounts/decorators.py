from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from core.reasons import Reason
from core.web import json_error, wants_json


def signin_required(view):
    """login_required that answers XHR with 401 JSON instead of a redirect to a page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return json_error(Reason.NOT_SIGNED_IN, login_url=reverse("login"))
        return redirect_to_login(request.get_full_path())

    return wrapper
