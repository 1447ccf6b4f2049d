"""Where each role is at home: the landing after login, the page of someone with several
roles, and the main menu all ask one object, `Roles`, what a user may use.

- a prefecture agent (staff who may change deliveries: the *Agents de la préfecture*)
  reviews deliveries in the admin;
- a manager (the permission to download reports: the *Gestionnaires*) reads /rapports/;
- a contact (a `Membership`) follows their actors' commitments in /espace/.

Agents hold the reports' permission too (their group has every domain permission): their
home is the admin, from which the reports are one link away, so that an agent is not
asked to choose at every login. The menu still offers them *Rapports*.
"""

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from actors.models import Membership
from commitments.review import review_queue_url

REVIEW_PERMISSION = "commitments.change_delivery"
REPORTS_PERMISSION = "commitments.export_reports"


@dataclass(frozen=True)
class Home:
    title: str
    url: str
    description: str


class Roles:
    """What a user may use. Nothing is asked of the database until a question is: the
    menu of an anonymous visitor costs no query, a signed-in user's costs the membership
    and, unless already loaded, the permissions (Django keeps them on the user for the
    request)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def signed_in(self):
        return self.user.is_authenticated and self.user.is_active

    @cached_property
    def is_agent(self):
        return self.signed_in and self.user.is_staff and self.user.has_perm(REVIEW_PERMISSION)

    @cached_property
    def may_read_reports(self):
        return self.signed_in and self.user.has_perm(REPORTS_PERMISSION)

    @cached_property
    def is_contact(self):
        return self.signed_in and Membership.objects.filter(user=self.user).exists()

    @cached_property
    def may_use_admin(self):
        return self.signed_in and self.user.is_staff

    @cached_property
    def homes(self):
        """The user's homes, the admin's first; none for someone without a role."""
        homes = []
        if self.is_agent:
            homes.append(
                Home(
                    "Réalisations à examiner",
                    review_queue_url(),
                    "Valider ou renvoyer pour correction les réalisations déclarées par les "
                    "référents, et tenir à jour acteurs et engagements dans l'administration.",
                )
            )
        elif self.may_read_reports:
            homes.append(
                Home(
                    "Rapports",
                    reverse("reports:index"),
                    "Télécharger les engagements, les réalisations, la synthèse et les "
                    "acteurs, en CSV ou en XLSX.",
                )
            )
        if self.is_contact:
            homes.append(
                Home(
                    "Mon espace",
                    reverse("space:home"),
                    "Suivre les engagements de vos acteurs et déclarer leurs réalisations.",
                )
            )
        return homes

    def landing_url(self):
        """Where to go after login: one's only home, or the page that lists them all
        (and that says whom to ask when there is none)."""
        if len(self.homes) == 1:
            return self.homes[0].url
        return reverse("accounts:home")


def roles(request):
    """Context processor: `roles` in every template, evaluated only when a template asks."""
    # Error pages may be rendered for a request the authentication middleware never saw.
    return {"roles": Roles(getattr(request, "user", None) or AnonymousUser())}
