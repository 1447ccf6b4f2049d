"""Small helpers for the commands that start servers against this database."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from operations import backups


def database_url(name):
    """This PostgreSQL server's address for the database `name` (as backups write it)."""
    return backups.database_url(settings.DATABASES["default"], name)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_on_loopback(database=None, port=None, **extra_env):
    """gunicorn as `make serve` runs it, on loopback over plain HTTP (`port`, or a free
    one), against `database` (PostgreSQL) or this one; yields the port once /healthz
    answers."""
    with gunicorn_server(database, port, **extra_env) as server:
        yield server.port


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    def workers(self):
        """The pids of gunicorn's workers (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@contextmanager
def gunicorn_server(database=None, port=None, **extra_env):
    """As gunicorn_on_loopback, yielding the Server (its port and master process)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DEBUG": "off",
        "HTTPS": "off",  # plain HTTP on loopback: no redirect to https
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(port),
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = database_url(database or settings.DATABASES["default"]["NAME"])
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise CommandError(f"Le serveur n'a pas démarré (port {port}).")
        yield Server(port, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


PASSWORD = "demo-pauvrete-2020"  # the demo accounts'
CUT = 0  # the status recorded when the connection broke before a whole answer


class Session:
    """A browser-like client of a server on loopback: keeps cookies, sends the CSRF
    token; used by the load test and the benchmark."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.cookies = {}
        self.received = 0
        self.location = self.content_type = ""

    def request(self, method, path, form=None, keep=True):
        """(status, body); body is b"" when `keep` is false: the answer is read whole
        and counted (`self.received`, bytes) but not kept, as a download's would be.
        A redirect's target is kept in `self.location`, the answer's type in
        `self.content_type`."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Host": "127.0.0.1",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.received = 0
        self.location = ""
        self.content_type = ""
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            if keep:
                content = response.read()
                self.received = len(content)
            else:
                content = b""
                while block := response.read(1 << 20):
                    self.received += len(block)
        except (http.client.HTTPException, OSError):
            return CUT, b""  # e.g. a streamed export cut when PostgreSQL goes away
        finally:
            connection.close()
        self.location = response.getheader("Location", "")
        self.content_type = response.getheader("Content-Type", "")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, content

    def login(self, username, admin=False, until=None):
        """True once logged in; tries again (a loaded or restarting server may fail a
        login) until the time.monotonic() `until`, if given."""
        path = "/admin/login/" if admin else "/comptes/connexion/"
        while True:
            self.request("GET", path)
            form = {"username": username, "password": PASSWORD}
            status, _ = self.request("POST", path, form)
            if status == 302 and "sessionid" in self.cookies:
                return True
            if until is None or time.monotonic() >= until:
                return False
            time.sleep(0.5)
