import functools

from django.http import JsonResponse
from django.urls import URLPattern, path

from api import views


def _as_the_pages(view):
    """django-ninja routes GET only, and refuses the rest in English: HEAD is answered
    as GET (the server sends the headers only, as for the pages), anything else gets
    405 with a French JSON message."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = view(request, *args, **kwargs)
        if head:
            request.method = "HEAD"  # for the server, which sends no body
        if response.status_code == 405:
            response = JsonResponse(
                {"detail": "L'API se lit seulement : méthode GET ou HEAD."},
                status=405,
                json_dumps_params={"ensure_ascii": False},
            )
            response["Allow"] = "GET, HEAD"
        return response

    return wrapper


def _api_urls():
    patterns, app_name, namespace = views.api.urls
    patterns = [
        URLPattern(p.pattern, _as_the_pages(p.callback), p.default_args, p.name) for p in patterns
    ]
    return patterns, app_name, namespace


urlpatterns = [
    path("", views.index, name="api_index"),
    path("v1/openapi.json", views.openapi_json, name="api_openapi"),
    path("v1/", _api_urls()),
]
