"""Server error pages: a database that stops answering is a 503 to retry, not a 500."""

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30


def server_error(request):
    """Django's 500 page, or the 503 page with Retry-After when the database is away
    (a restart, a failover): the visitor is told to come back, not that we broke."""
    if not isinstance(sys.exception(), OperationalError | InterfaceError):
        return django_server_error(request)
    response = django_server_error(request, template_name="503.html")
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request, exception):
    """A body over its cap (reports/uploads.py) is a French 413 page; the rest, Django's 400."""
    if isinstance(exception, RequestDataTooBig):
        return HttpResponse(loader.render_to_string("413.html", request=request), status=413)
    return django_bad_request(request, exception)
