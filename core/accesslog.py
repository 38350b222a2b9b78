"""gunicorn's access log as one valid JSON object per line, with the client's address.

gunicorn's format string pastes the decoded path into the line as it is, so a `%0a` (or a `"`)
in a URL splits or breaks the JSON; here every field goes through `json.dumps`. The client's
address is the one the portal itself uses (`core/clientip.py`, CLIENT_IP_HEADER), taken from
the header only when the connection comes from a proxy gunicorn trusts (FORWARDED_ALLOW_IPS);
`remote` stays the connection's address. The path never carries its query string (the
callback's query holds the authorization code).
"""
import json
import time
import traceback

from gunicorn.glogging import Logger


def _setting(name, default):
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, name, default)
    except Exception:  # gunicorn may log before Django is set up
        pass
    import os

    return os.environ.get(name, default)


def client_of(environ, trusted):
    """The browser's address for this request: the configured header's entry when the peer is
    a trusted proxy, else the peer's address."""
    from .clientip import parse_address, pick

    remote = environ.get("REMOTE_ADDR", "") or ""
    header = (_setting("CLIENT_IP_HEADER", "") or "").strip()
    if header and header.upper() != "REMOTE_ADDR" and ("*" in trusted or remote in trusted):
        try:
            proxies = max(1, int(_setting("CLIENT_IP_TRUSTED_PROXIES", 1)))
        except (TypeError, ValueError):
            proxies = 1
        found = parse_address(pick(environ.get("HTTP_" + header.upper().replace("-", "_"), ""), proxies))
        if found:
            return found
    return parse_address(remote) or remote[:64]


class JsonAccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            headers = dict((k.lower(), v) for k, v in (resp.headers.items() if hasattr(resp.headers, "items") else resp.headers))
            entry = {
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "client": client_of(environ, self.cfg.forwarded_allow_ips),
                "remote": environ.get("REMOTE_ADDR", "-"),
                "method": environ.get("REQUEST_METHOD", "-")[:16],
                "path": (environ.get("PATH_INFO") or "")[:2000],
                "status": int(status) if str(status).isdigit() else str(status),
                "bytes": getattr(resp, "sent", None),
                "duration_us": request_time.seconds * 1_000_000 + request_time.microseconds,
                "request_id": headers.get("x-request-id", "-"),
            }
            self.access_log.info("%s", json.dumps(entry, ensure_ascii=True))
        except Exception:
            self.error(traceback.format_exc())
