"""gunicorn for `make serve`: tuned for this machine's cores; every value can be overridden
by the environment (GUNICORN_WORKERS, GUNICORN_THREADS, PORT)."""

import multiprocessing
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Django views wait on PostgreSQL: two processes a core, a few threads each.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
wsgi_app = "config.wsgi:application"


def _without_server_header():
    """gunicorn announces itself in a Server header; say nothing of the software."""
    from gunicorn.http import wsgi

    default_headers = wsgi.Response.default_headers

    def headers(self):
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    wsgi.Response.default_headers = headers


_without_server_header()
