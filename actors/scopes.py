"""What a member of the prefecture's staff may see and change: their territory's.

A scope is read once per request from the user's StaffTerritory (actors.models):
- superusers, and staff attached to a region, see everything (the regional team);
- staff attached to a département (or an intercommunality) see the commitments made in
  it or in the territories it contains, at any depth, their deliveries, and the actors
  that work there: those of the territory, those of the territories that contain it or
  of none (a regional or national actor acts in every département), and those with a
  commitment there; it changes only the actors of its territory;
- staff attached to nothing see nothing, until a superuser attaches them.

The QuerySets apply it (`in_scope`); the admin (config.history), the reports, the
imports and the e-mails to agents ask it.
"""

from django.db import models

from actors.models import StaffTerritory
from strategy.models import Territory


class StaffScope:
    def __init__(self, territory=None, *, everything=False):
        self.territory = territory
        self.everything = everything
        self._within_ids = None

    @property
    def nothing(self):
        return not self.everything and self.territory is None

    def __repr__(self):
        if self.everything:
            return "<StaffScope: tout>"
        return f"<StaffScope: {self.territory or 'rien'}>"

    @property
    def label(self):
        """For the pages that say whose figures they show."""
        if self.everything:
            return "toute la région"
        return str(self.territory) if self.territory else "aucun territoire"

    def territories(self):
        """The territories one may attach a commitment or an actor to."""
        if self.everything:
            return Territory.objects.all()
        if self.territory is None:
            return Territory.objects.none()
        return Territory.objects.within(self.territory)

    def within_ids(self):
        """The ids of territories(), read once (for checks row by row)."""
        if self._within_ids is None:
            self._within_ids = set(self.territories().values_list("pk", flat=True))
        return self._within_ids

    def covers(self, territory_id):
        return self.everything or territory_id in self.within_ids()


EVERYTHING = StaffScope(everything=True)
NOTHING = StaffScope()


def scope_of(user):
    """The user's scope, remembered on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    cached = getattr(user, "_staff_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = EVERYTHING
    else:
        attachment = StaffTerritory.objects.select_related("territory").filter(user=user).first()
        if attachment is None:
            scope = NOTHING
        elif attachment.territory.level == Territory.Level.REGION:
            scope = EVERYTHING
        else:
            scope = StaffScope(attachment.territory)
    user._staff_scope = scope
    return scope


def territory_filter(scope, path):
    """A Q object keeping the rows whose `path` (a Territory foreign key) lies in scope."""
    if scope.everything:
        return models.Q()
    if scope.territory is None:
        return models.Q(pk__in=[])
    return models.Q(**{f"{path}__in": Territory.objects.within(scope.territory)})
