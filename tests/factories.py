import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from actors.models import Actor, Forum, Membership
from actors.roles import attach_to_territory
from commitments.models import Commitment, Delivery
from strategy.models import Issue, Measure, Territory
from strategy.units import Unit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@exemple.invalid")
    password = factory.django.Password("mot-de-passe-de-test")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    level = Territory.Level.DEPARTEMENT
    code = factory.Sequence(lambda n: f"{n + 100}")
    name = factory.Sequence(lambda n: f"Département {n}")
    slug = factory.Sequence(lambda n: f"departement-{n}")


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    slug = factory.Sequence(lambda n: f"enjeu-{n}")
    name = factory.Sequence(lambda n: f"Enjeu {n}")
    position = factory.Sequence(int)


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    issue = factory.SubFactory(IssueFactory)
    slug = factory.Sequence(lambda n: f"mesure-{n}")
    name = factory.Sequence(lambda n: f"Mesure {n}")
    unit = Unit.EUROS


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Association {n}")
    slug = factory.Sequence(lambda n: f"association-{n}")
    kind = Actor.Kind.ASSOCIATION
    territory = factory.SubFactory(TerritoryFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(ActorFactory)


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum

    title = factory.Sequence(lambda n: f"Forum {n}")
    slug = factory.Sequence(lambda n: f"forum-{n}")
    date = datetime.date(2020, 7, 10)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    actor = factory.SubFactory(ActorFactory)
    measure = factory.SubFactory(MeasureFactory)
    territory = factory.SelfAttribute("actor.territory")
    year = 2021
    title = factory.Sequence(lambda n: f"Engagement {n}")
    planned_amount = Decimal(1000)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A reported delivery; validate it through the domain method to make it count."""

    class Meta:
        model = Delivery

    commitment = factory.SubFactory(CommitmentFactory)
    date = datetime.date(2021, 6, 1)
    amount = Decimal(100)


def region():
    """The region, as load_forum makes it: the regional team's territory."""
    territory, _ = Territory.objects.get_or_create(
        level=Territory.Level.REGION,
        code="32",
        defaults={"name": "Hauts-de-France", "slug": "hauts-de-france"},
    )
    return territory


def staff_member(username, group_name, territory=None, **kwargs):
    """A member of the prefecture's staff in a role's group (setup_roles must have run),
    attached to `territory` (the region, so the regional team, by default)."""
    user = UserFactory(username=username, is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    attach_to_territory(user, territory or region())
    return user
