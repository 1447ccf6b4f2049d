"""gunicorn as `make serve` runs it says nothing of the software behind it."""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from operations.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_sends_no_server_header():
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": "k" * 50,
        "DEBUG": "off",
        "HTTPS": "off",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = None
        for _ in range(100):  # up to 20 s for the worker to start
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/robots.txt")
                response = connection.getresponse()
                headers = dict(response.getheaders())
                break
            except OSError:
                time.sleep(0.2)
        assert headers is not None, "gunicorn did not answer"
        assert response.status == 200
        assert "Server" not in headers and "server" not in headers
    finally:
        server.terminate()
        server.wait(timeout=30)
