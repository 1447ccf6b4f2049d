from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 otherwise; says nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not healthy", and no detail leaks
        return JsonResponse({"status": "indisponible"}, status=503)
    return JsonResponse({"status": "ok"})


ROBOTS = "\n".join(
    [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /espace/",
        "Disallow: /comptes/",
        "Disallow: /rapports/",
        "",
    ]
)


@require_safe
def robots_txt(request):
    """Public pages may be indexed; the private areas may not. (Also the benchmark's
    trivial view: no query, no template.)"""
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")
