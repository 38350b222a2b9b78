"""Error pages in the portal's own layout (DEBUG off)."""
from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request, status, title, message):
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _page(request, 403, _("Not allowed"), _("You are not allowed to do that. If you were filling a form, reload the page and try again."))


def csrf_failure(request, reason=""):
    """Django's CSRF refusal, worded from the table (JSON for scripts)."""
    from .reasons import Reason
    from .web import json_error, wants_json

    if wants_json(request):
        return json_error(Reason.CSRF_FAILED)
    return _page(request, 403, _("Not allowed"), str(Reason.CSRF_FAILED.words))


def page_not_found(request, exception=None):
    return _page(request, 404, _("Page not found"), _("There is nothing at this address."))


def server_error(request):
    # Self-contained (no static files, no context processors): it must not fail in turn.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({"request_id": getattr(request, "request_id", "")}))
