"""Sessions that end after a period of inactivity, without a write on every request."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

REFRESH_SECONDS = 5 * 60
STAMP = "_refreshed_at"


class SlidingSessionMiddleware:
    """Pushes a signed-in session's expiry back, at most every five minutes.

    The session then ends SESSION_COOKIE_AGE after the last activity (within five
    minutes), at the cost of one session write every five minutes rather than every
    request (SESSION_SAVE_EVERY_REQUEST). Goes after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(STAMP, 0) >= REFRESH_SECONDS:
                request.session[STAMP] = now
        return response


@receiver(user_logged_in)
def stamp_new_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[STAMP] = int(time.time())
