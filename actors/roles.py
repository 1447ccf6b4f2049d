"""The groups that carry the staff roles, kept in step by `setup_roles`.

Prefecture agents keep everything in the admin and review deliveries; managers read the
admin and download reports (the README's "Demo accounts" table). Both see only their
territory's part (actors.scopes): `attach_to_territory` sets it.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from actors.models import StaffTerritory
from strategy.models import Territory

AGENTS = "Agents de la préfecture"
MANAGERS = "Gestionnaires"
DOMAIN_APPS = ["strategy", "actors", "commitments"]


def role_permissions():
    # Who is attached to which territory is for superusers alone (actors.scopes).
    in_domain = Q(content_type__app_label__in=DOMAIN_APPS) & ~Q(
        content_type__app_label="actors", content_type__model="staffterritory"
    )
    # Agents pick contacts' accounts when they link them to an actor, and unlock the
    # accounts django-axes locked out (by deleting the access attempts).
    view_users = Q(content_type__app_label="auth", codename="view_user")
    lockouts = Q(
        content_type__app_label="axes",
        codename__in=[
            "view_accessattempt",
            "delete_accessattempt",
            "view_accessfailurelog",
        ],
    )
    return {
        AGENTS: Permission.objects.filter(in_domain | view_users | lockouts),
        MANAGERS: Permission.objects.filter(
            (in_domain & Q(codename__startswith="view_"))
            | Q(content_type__app_label="commitments", codename="export_reports")
        ),
    }


@transaction.atomic
def setup_roles():
    """Create or update the groups; returns {name: number of permissions}."""
    counts = {}
    for name, permissions in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        counts[name] = group.permissions.count()
    return counts


def find_territory(text):
    """A territory by its slug or its code (« 59 », « nord »), or None."""
    text = text.strip()
    return (
        Territory.objects.filter(slug=text).first()
        or Territory.objects.filter(code=text).order_by("parent_id", "pk").first()
    )


@transaction.atomic
def attach_to_territory(user, territory):
    """Attach a member of staff to a territory (replacing any earlier one)."""
    attachment, _ = StaffTerritory.objects.update_or_create(
        user=user, defaults={"territory": territory}
    )
    return attachment


def unattached_staff():
    """Staff with a role but no territory: they see nothing of the domain."""
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False, groups__name__in=[AGENTS, MANAGERS])
        .filter(staff_territory__isnull=True)
        .distinct()
        .order_by("username")
    )
