"""Who is trying to log in, from where, and how often: what django-axes and our own cheap
throttle count.

- `client_address`: the socket's address, or, only when it is one of TRUSTED_PROXIES, the
  last address in X-Forwarded-For that is not a trusted proxy (the one our own proxy
  wrote; whatever the client wrote to the left of it is ignored). django-axes uses it too
  (AXES_CLIENT_IP_CALLABLE).
- `account_key`: the account an identifier names, whatever alias (username or e-mail
  address) or case was typed, so that failures and locks count per account; an unknown
  identifier is counted under its case-folded form (AXES_USERNAME_CALLABLE).
- `ThrottleMiddleware`: before the login, password reset and invitation views run — so
  before any password hash — a counter in the cache per client address (and per e-mail
  address for resets) refuses the request with a French 429 page once it is over
  THROTTLE_RATES. A successful login gives its count back: only failures use it up.
"""

import hashlib
import ipaddress
import logging
import math
import time
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.dispatch import receiver
from django.shortcuts import render

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _networks(proxies):
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _parse(address):
    """An address as a proxy writes it, with or without a port (`1.2.3.4:5678`,
    `[2001:db8::1]:443`); None if it is no address."""
    text = address.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _counted(address):
    """The address counted for throttling: an IPv6 client is given a whole /64 by its
    provider and could change address at will inside it, so the /64 is counted."""
    parsed = _parse(address)
    if parsed is None or parsed.version == 4:
        return address.strip() if parsed is None else str(parsed)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)


def _trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def client_address(request):
    """The client's address: the socket's, unless it is a trusted proxy (see the module);
    an IPv6 address stands for its /64."""
    return _counted(_client_address(request))


def _client_address(request):
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(_parse(remote), networks):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbled by someone: do not trust anything to its left
        if not _trusted(address, networks):
            return str(address)
        remote = str(address)
    return remote


def account_key(request, credentials=None):
    """The username of the account that what was typed names, or, for no single account,
    what was typed, stripped and case-folded. Remembered for the request: django-axes
    asks several times."""
    if credentials and "username" in credentials:
        typed = credentials["username"]
    else:
        typed = getattr(request, "POST", {}).get("username")
    if not typed:
        return typed
    memo = request.__dict__.setdefault("_account_keys", {})
    if typed not in memo:
        memo[typed] = _account_key(typed)[:255]  # axes' column
    return memo[typed]


def _account_key(typed):
    typed = typed.strip()
    users = get_user_model().objects
    if "@" in typed:
        matches = list(users.filter(email__iexact=typed).values_list("username", flat=True)[:2])
        if len(matches) == 1:
            return matches[0]
    if users.filter(username=typed).exists():
        return typed
    matches = list(users.filter(username__iexact=typed).values_list("username", flat=True)[:2])
    if len(matches) == 1:
        return matches[0]
    return typed.casefold()


def bucket(scope, identity, window):
    """The counter of `identity` for the current window (aligned on the clock), and the
    seconds left in it."""
    now = time.time()
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{int(now // window)}:{digest}"
    return key, max(1, math.ceil(window - now % window))


def _count(key, window):
    cache.add(key, 0, window + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired in between, or a cache that keeps nothing
        return 0


def over_rate(scope, identity):
    """Counts one request of `identity` under THROTTLE_RATES[scope]: the seconds to wait
    when it is over the rate, else None. Lets the request through if the cache is away."""
    limit, window = settings.THROTTLE_RATES[scope]
    key, retry_after = bucket(scope, identity, window)
    try:
        count = _count(key, window)
    except Exception:
        log.exception("Throttle counters unavailable")
        return None
    return retry_after if count > limit else None


# The views throttled, by URL name, and what each counts: (scope, the POST field whose
# value is counted, or None for the client address).
THROTTLED_VIEWS = {
    "accounts:login": [("login", None)],
    "admin:login": [("login", None)],
    "accounts:password_reset": [("password_reset", None), ("password_reset_email", "email")],
    "accounts:invitation": [("invitation", None)],
}


class ThrottleMiddleware:
    """Refuses a POST to a throttled view once its counters are over THROTTLE_RATES.

    Goes after AuthenticationMiddleware (a successful login gives its count back).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        rules = THROTTLED_VIEWS.get(request.resolver_match.view_name)
        if not rules:
            return None
        counted = []
        try:
            for scope, field in rules:
                limit, window = settings.THROTTLE_RATES[scope]
                if field is None:
                    identity = client_address(request)
                else:
                    identity = request.POST.get(field, "").strip().casefold()
                if not identity:
                    continue
                key, retry_after = bucket(scope, identity, window)
                count = _count(key, window)
                counted.append(key)
                if count > limit:
                    return self._refuse(request, retry_after)
        except Exception:  # the cache is away: let the request through, axes still locks
            log.exception("Throttle counters unavailable")
            return None
        if rules[0][0] == "login":
            request._throttle_refund = counted
        return None

    def _refuse(self, request, retry_after):
        minutes = math.ceil(retry_after / 60)
        response = render(request, "accounts/throttled.html", {"minutes": minutes}, status=429)
        response["Retry-After"] = str(retry_after)
        return response


@receiver(user_logged_in)
def refund_successful_login(sender, request, user, **kwargs):
    """A successful login does not use up its address's budget of failures."""
    for key in getattr(request, "_throttle_refund", ()):
        try:
            cache.decr(key)
        except Exception:
            log.exception("Throttle counter not given back")
