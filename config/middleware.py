"""What every response owes the browser and every request owes the server."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.utils.cache import patch_cache_control

NUL_MESSAGE = "Requête invalide : un paramètre de l'adresse contient un caractère nul."


def _has_nul(query):
    return any("\x00" in name or any("\x00" in v for v in values) for name, values in query.lists())


class RequestHygieneMiddleware:
    """- A NUL character in the query string is a 400: PostgreSQL refuses it in any
      text, which would otherwise be a 500 wherever a parameter reaches a query.
    - A signed-in user's page is `private, no-store`: no shared cache or back button
      keeps a contact's or an agent's page.
    - The admin asks search engines not to index it, which robots.txt, read by anyone,
      no longer names.
    Goes before SessionMiddleware, so that a NUL in a cookie never reaches the session;
    `request.user`, set by AuthenticationMiddleware inside, is there for the response.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        if _has_nul(request.GET):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        # A cookie holding a NUL (`sessionid="\000…"` unquotes to one) would reach the
        # session query: such a cookie is no cookie of ours, it is dropped.
        request.COOKIES = {
            name: value
            for name, value in request.COOKIES.items()
            if "\x00" not in name and "\x00" not in value
        }
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        if request.path.startswith(self.admin_prefix):
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response
