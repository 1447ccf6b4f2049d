from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.validators import validate_siret
from strategy.models import Territory
from strategy.text import Fold
from strategy.validators import validate_single_line


class ActorQuerySet(models.QuerySet):
    def filtered(self, *, search=None, kind=None, territory=None, is_public_sector=None):
        """The directory's filters; None means no filter.

        A territory includes the territories it contains, at any depth.
        """
        queryset = self
        if search:
            queryset = queryset.filter(name__fold_contains=search)
        if kind:
            queryset = queryset.filter(kind=kind)
        if territory is not None:
            queryset = queryset.filter(territory__in=Territory.objects.within(territory))
        if is_public_sector is not None:
            queryset = queryset.filter(is_public_sector=is_public_sector)
        return queryset

    def in_scope(self, scope):
        """The actors a member of staff with this scope sees (actors.scopes): those of
        the territory, of the territories containing it or of none (regional and national
        actors act everywhere), or with a commitment in it."""
        if scope.everything:
            return self
        if scope.territory is None:
            return self.none()
        within = Territory.objects.within(scope.territory)
        committed_there = (
            self.model._meta.get_field("commitments")
            .related_model.objects.filter(territory__in=within)
            .values("actor_id")
        )
        return self.filter(
            models.Q(territory__in=within)
            | models.Q(territory__in=Territory.objects.containing(scope.territory.pk))
            | models.Q(territory__isnull=True)
            | models.Q(pk__in=committed_there)
        )

    def editable_in(self, scope):
        """The actors a member of staff with this scope may change: those of its
        territory (a regional actor is the regional team's)."""
        if scope.everything:
            return self
        if scope.territory is None:
            return self.none()
        return self.filter(territory__in=Territory.objects.within(scope.territory))

    def by_name(self):
        """French order: accents and case ignored (strategy.text)."""
        return self.order_by(Fold("name"), "pk")

    def with_public_commitment_count(self):
        return self.annotate(
            public_commitment_count=models.Count(
                "commitments",
                filter=models.Q(commitments__is_public=True)
                & ~models.Q(commitments__status="cancelled"),
            )
        )


class Actor(models.Model):
    """An organisation taking part in the strategy (*acteur*)."""

    class Kind(models.TextChoices):
        STATE = "state", _("Service de l'État")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")
        INTERCOMMUNALITY = "intercommunality", _("Intercommunalité")
        COMMUNE = "commune", _("Commune")
        PUBLIC_BODY = "public_body", _("Établissement public")
        ASSOCIATION = "association", _("Association")
        INSERTION = "insertion", _("Structure d'insertion")
        COMPANY = "company", _("Entreprise")
        FOUNDATION = "foundation", _("Fondation")
        OTHER = "other", _("Autre")

    name = models.CharField(_("nom"), max_length=300, validators=[validate_single_line])
    slug = models.SlugField(_("identifiant d'URL"), max_length=300, unique=True)
    kind = models.CharField(_("type d'acteur"), max_length=20, choices=Kind.choices)
    is_public_sector = models.BooleanField(
        _("acteur public"), default=False, help_text=_("Décocher pour un acteur privé.")
    )
    is_institutional = models.BooleanField(_("acteur institutionnel"), default=False)
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actors",
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    website = models.URLField(_("site internet"), blank=True)
    email = models.EmailField(_("adresse électronique de contact"), blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = ActorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("acteur")
        verbose_name_plural = _("acteurs")
        ordering = [Fold("name"), "pk"]
        indexes = [models.Index(fields=["kind"], name="actor_kind_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~models.Q(siret=""),
                name="actor_unique_siret",
                violation_error_message=_("Un acteur porte déjà ce numéro SIRET."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("actor_detail", args=[self.slug])


class Membership(models.Model):
    """A user account acting as a contact (*référent*) of an actor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    actor = models.ForeignKey(
        Actor, verbose_name=_("acteur"), on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("référent")
        verbose_name_plural = _("référents")
        ordering = ["actor__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "actor"],
                name="membership_unique_user_actor",
                violation_error_message=_("Cet utilisateur est déjà référent de cet acteur."),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.actor}"


class Forum(models.Model):
    """A meeting of the strategy's actors, such as the regional forum of 10 July 2020."""

    title = models.CharField(_("intitulé"), max_length=300, validators=[validate_single_line])
    slug = models.SlugField(_("identifiant d'URL"), max_length=300, unique=True)
    date = models.DateField(_("date"))
    is_online = models.BooleanField(_("en ligne"), default=False)
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    participants = models.ManyToManyField(
        Actor, verbose_name=_("acteurs participants"), related_name="forums", blank=True
    )

    history = HistoricalRecords(m2m_fields=[participants])

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        ordering = ["-date", "pk"]

    def __str__(self):
        return f"{self.title} ({self.date:%d/%m/%Y})"


class StaffTerritory(models.Model):
    """The territory a member of the prefecture's staff works on (*rattachement*).

    The regional team is attached to the region and sees everything; a departmental team
    to its département, where it sees, reviews, edits, imports and exports only what
    belongs to that territory (actors.scopes). Staff with none see nothing of the domain
    until a superuser attaches them. Managed by superusers alone (actors.roles).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="staff_territory",
    )
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire de rattachement"),
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_(
            "La région pour l'équipe régionale, qui voit tout ; un département pour une "
            "équipe départementale, qui ne voit que ce qui relève de ce département."
        ),
    )

    class Meta:
        verbose_name = _("rattachement territorial")
        verbose_name_plural = _("rattachements territoriaux")

    def __str__(self):
        return f"{self.user} — {self.territory}"
