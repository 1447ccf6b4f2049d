"""The groups that carry the staff roles, kept in step by `setup_roles`.

Prefecture agents keep everything in the admin and review deliveries; managers read the
admin and download reports (the README's "Demo accounts" table).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

AGENTS = "Agents de la préfecture"
MANAGERS = "Gestionnaires"
DOMAIN_APPS = ["strategy", "actors", "commitments"]


def role_permissions():
    in_domain = Q(content_type__app_label__in=DOMAIN_APPS)
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
