"""The browser's address, as the portal's own proxies saw it.

Three deployments, three settings (docs/deploy.md, "Client addresses"):

- **No proxy** (gunicorn faces the browsers): `CLIENT_IP_HEADER=REMOTE_ADDR`, the
  connection's address. (Empty means the same, but `check --deploy` asks you to say so.)
- **A proxy that overwrites a single-value header** (nginx `proxy_set_header X-Real-IP
  $remote_addr;`): `CLIENT_IP_HEADER=X-Real-IP`. Whatever the browser sent in that header is
  replaced, so its one value is the address nginx saw.
- **A proxy chain that appends to a list** (X-Forwarded-For: nginx's
  `$proxy_add_x_forwarded_for`, AWS ALB, Google's load balancer, Azure Front Door):
  `CLIENT_IP_HEADER=X-Forwarded-For` and `CLIENT_IP_TRUSTED_PROXIES` = how many of your own
  proxies append to it (default 1). The browser can write anything at the left of that list;
  only the entries at its right were appended by proxies you run, so the address is the entry
  the N-th proxy from the right appended, **never the leftmost**.

A value that is not an IP address (garbage, an `unknown`, a forged hostname) falls back to
the connection's address: the lockouts and limits then count the proxy, which is
conservative (everyone shares one key) rather than forgeable (everyone picks their own).
"""
import ipaddress

from django.conf import settings

MAX_HEADER = 4096  # a forwarded-for list longer than this is not from a proxy chain of ours
CONNECTION = "REMOTE_ADDR"


def header_name():
    """The configured header, as `request.META` names it; None for the connection's address."""
    name = (getattr(settings, "CLIENT_IP_HEADER", "") or "").strip()
    if not name or name.upper() == CONNECTION:
        return None
    return "HTTP_" + name.upper().replace("-", "_")


def trusted_proxies():
    try:
        return max(1, int(getattr(settings, "CLIENT_IP_TRUSTED_PROXIES", 1)))
    except (TypeError, ValueError):
        return 1


def parse_address(value):
    """A normalized IP address from one header entry (`203.0.113.7`, `203.0.113.7:5123`,
    `[2001:db8::1]:443`, `2001:db8::1`), or None."""
    if not isinstance(value, str):
        return None
    value = value.strip().strip('"')
    if not value or len(value) > 64:
        return None
    if value.startswith("["):  # [IPv6]:port
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def pick(header_value, proxies):
    """The entry the `proxies`-th trusted proxy from the right appended to a list header
    (a single value is a list of one). Fewer entries than proxies: the leftmost, which a
    trusted proxy appended then (as Django REST framework's NUM_PROXIES does)."""
    if not header_value or len(header_value) > MAX_HEADER:
        return None
    entries = [entry.strip() for entry in header_value.split(",")]
    return entries[-min(proxies, len(entries))]


def client_address(request):
    """The browser's address: the configured header's trusted entry, else REMOTE_ADDR."""
    meta = request.META
    name = header_name()
    if name is not None:
        address = parse_address(pick(meta.get(name, ""), trusted_proxies()))
        if address is not None:
            return address
    return parse_address(meta.get("REMOTE_ADDR", "")) or (meta.get("REMOTE_ADDR", "") or "")[:64]


def rate_key(address):
    """What a per-address limit counts: the address, or its /64 for IPv6 (one subscriber's
    share: anyone given a /64 could otherwise use a new address per request)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
