import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Web requests: no statement may run longer than this (seconds; 0 for none).
os.environ.setdefault("STATEMENT_TIMEOUT", "30")

application = get_wsgi_application()
