"""`make bench-login`: what failed logins from one address cost the server.

Starts gunicorn as in production (PBKDF2, DEBUG off) on loopback against this database and
cache (CACHE_URL: Redis shares the throttle's counters between workers), then prints, as
ratios against references measured in the same run:
  a. a failed login refused by the throttle (429, no hash) against /robots.txt, and a
     failed login that is hashed, against /robots.txt;
  b. the median of / (a cached public page) while a bounded script sends failed logins
     with random usernames from one address at a steady rate, against / alone; and the same flood
     against a server whose throttle is lifted, for comparison (--no-compare skips it).
Every flood is bounded in requests and seconds, and stays on 127.0.0.1.
"""

import http.client
import os
import secrets
import statistics
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand

from accounts.throttle import bucket as throttle_bucket
from operations.servers import gunicorn_on_loopback

LOGIN = "/comptes/connexion/"
PREFIX = "bench-login-"


class Session:
    """Keeps cookies and sends the CSRF token, as a browser would."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            return 0, None
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, None


def forget_login_counters():
    """127.0.0.1's failed logins start from zero (in the shared cache; a local-memory
    cache is the server's own and starts empty with it)."""
    window = settings.THROTTLE_RATES["login"][1]
    cache.delete(throttle_bucket("login", "127.0.0.1", window)[0])


def timed(function, runs):
    """Median seconds of `function` over `runs` calls, and the statuses it answered."""
    timings, statuses = [], set()
    for _ in range(runs):
        start = time.perf_counter()
        statuses.add(function())
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), statuses


def failed_login(session):
    username = f"{PREFIX}{secrets.token_hex(6)}"
    return session.request("POST", LOGIN, {"username": username, "password": "faux"})[0]


def flood(port, rate, max_requests, max_seconds):
    """Failed logins with random usernames from 127.0.0.1, `rate` a second whatever the
    answers (as an attacker would), bounded in count and in seconds. Returns the thread
    sending them and the list of statuses answered."""
    sent = []

    def send():
        session = Session(port)
        session.request("GET", LOGIN)
        sent.append(failed_login(session))

    def schedule():
        with ThreadPoolExecutor(max_workers=64) as pool:
            start = time.monotonic()
            for n in range(max_requests):
                wait = start + n / rate - time.monotonic()
                if time.monotonic() - start + max(wait, 0) > max_seconds:
                    break
                time.sleep(max(wait, 0))
                pool.submit(send)

    thread = threading.Thread(target=schedule)
    thread.start()
    return thread, sent


class Command(BaseCommand):
    help = "Coût des connexions échouées depuis une adresse, avec et sans limitation."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=100)
        parser.add_argument("--rate", type=int, default=20)
        parser.add_argument("--flood-requests", type=int, default=200)
        parser.add_argument("--flood-seconds", type=int, default=10)
        parser.add_argument("--no-compare", action="store_true")

    def handle(self, *args, runs, rate, flood_requests, flood_seconds, no_compare, **opts):
        self.bounds = rate, flood_requests, flood_seconds
        cache = os.environ.get("CACHE_URL", "locmemcache://").split(":")[0]
        self.stdout.write(
            f"Base {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"cache {cache}, {os.cpu_count()} cœurs ; flood : {rate} connexions échouées/s, "
            f"≤ {flood_requests} requêtes, ≤ {flood_seconds} s, 127.0.0.1."
        )
        try:
            with gunicorn_on_loopback() as port:
                self._throttled(port, runs)
                self._page_under_flood(port, runs, "limitation active")
            if not no_compare:
                with gunicorn_on_loopback(LOGIN_FAILURES_PER_ADDRESS="1000000000") as port:
                    self._page_under_flood(port, runs, "limitation levée (avant)")
        finally:
            AccessAttempt.objects.filter(username__startswith=PREFIX).delete()
            forget_login_counters()

    def _throttled(self, port, runs):
        forget_login_counters()
        session = Session(port)
        session.request("GET", LOGIN)
        robots, _ = timed(lambda: session.request("GET", "/robots.txt")[0], runs)
        limit = settings.THROTTLE_RATES["login"][0]
        hashed, hashed_statuses = timed(lambda: failed_login(session), limit)
        refused, refused_statuses = timed(lambda: failed_login(session), runs)
        self.stdout.write(
            f"a. /robots.txt (référence) : médiane {robots * 1000:.1f} ms (1×)\n"
            f"   connexion échouée refusée {sorted(refused_statuses)} : médiane "
            f"{refused * 1000:.1f} ms = {refused / robots:.1f}× /robots.txt\n"
            f"   connexion échouée calculée {sorted(hashed_statuses)} (les {limit} premières) : "
            f"médiane {hashed * 1000:.1f} ms = {hashed / robots:.1f}× /robots.txt, "
            f"{hashed / refused:.0f}× une refusée"
        )

    def _page_under_flood(self, port, runs, label):
        rate, max_requests, max_seconds = self.bounds
        forget_login_counters()
        page = Session(port)
        page.request("GET", "/")  # the cache is warm
        alone, _ = timed(lambda: page.request("GET", "/")[0], runs)
        sender, sent = flood(port, rate, max_requests, max_seconds)
        timings = []
        start = time.monotonic()
        while sender.is_alive():  # for as long as the flood lasts (its answers included)
            before = time.perf_counter()
            page.request("GET", "/")
            timings.append(time.perf_counter() - before)
        sender.join()
        during = statistics.median(timings)
        p90 = statistics.quantiles(timings, n=10)[-1] if len(timings) > 1 else during
        statuses = {status: sent.count(status) for status in set(sent)}
        self.stdout.write(
            f"b. / ({label}) : seule {alone * 1000:.1f} ms ; pendant le flood "
            f"{during * 1000:.1f} ms = {during / alone:.1f}× (p90 {p90 * 1000:.0f} ms) "
            f"({len(timings)} mesures en {time.monotonic() - start:.1f} s ; "
            f"flood : {len(sent)} requêtes, statuts {statuses})"
        )
