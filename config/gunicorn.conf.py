"""gunicorn for `make serve`: tuned for this machine's cores; every value can be overridden
by the environment (GUNICORN_WORKERS, GUNICORN_THREADS, PORT).

With TASK_WORKER=on (`make serve`), gunicorn also starts the task worker that sends the
queued mails (`manage.py db_worker`, TASK_BACKEND=database) and stops it when it stops.
In production the worker runs as its own service instead (README, "Mails and reminders").
"""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

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


_task_worker = None


def when_ready(server):
    """Start the mail worker beside the web workers (TASK_WORKER=on)."""
    global _task_worker
    if os.environ.get("TASK_WORKER") != "on":
        return
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    _task_worker = subprocess.Popen(
        [sys.executable, str(manage), "db_worker", "--no-reload", "--interval", "1"]
    )
    server.log.info("Task worker started (pid %s)", _task_worker.pid)


def on_exit(server):
    if _task_worker is not None and _task_worker.poll() is None:
        _task_worker.terminate()
        try:
            _task_worker.wait(timeout=graceful_timeout)
        except subprocess.TimeoutExpired:
            _task_worker.kill()
