"""Where deliveries wait for a decision: the admin's queue « À examiner », the oldest
first. Its address is written here once, for the admin, the landing after login and the
index's counter."""

from django.urls import reverse

QUEUE_PARAMETER = "examen"
QUEUE_WAITING = "en-attente"


def review_queue_url():
    return reverse("admin:commitments_delivery_changelist") + f"?{QUEUE_PARAMETER}={QUEUE_WAITING}"
