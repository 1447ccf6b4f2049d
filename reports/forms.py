from django import forms
from dsfr.forms import DsfrBaseForm

from actors.models import Actor
from actors.scopes import EVERYTHING
from commitments.models import Commitment
from reports.exports import ALL, VISIBILITIES, ReportFilters
from strategy.models import Issue, Measure, Territory


class ReportFilterForm(DsfrBaseForm):
    """The dashboard's filters plus actor kind, status and visibility; values are slugs
    and codes."""

    issue = forms.ModelChoiceField(
        label="Enjeu",
        required=False,
        queryset=Issue.objects.all(),
        to_field_name="slug",
        empty_label="Tous les enjeux",
    )
    measure = forms.ModelChoiceField(
        label="Mesure",
        required=False,
        queryset=Measure.objects.all(),
        to_field_name="slug",
        empty_label="Toutes les mesures",
    )
    territory = forms.ModelChoiceField(
        label="Territoire",
        required=False,
        to_field_name="slug",
        queryset=Territory.objects.for_choices(),
        empty_label="Tous les territoires",
    )
    year = forms.IntegerField(label="Année", required=False, min_value=2000, max_value=2100)
    actor_kind = forms.ChoiceField(
        label="Type d'acteur", required=False, choices=[("", "Tous les types"), *Actor.Kind.choices]
    )
    status = forms.ChoiceField(
        label="Statut de l'engagement",
        required=False,
        choices=[("", "Tous les statuts"), *Commitment.Status.choices],
    )

    visibility = forms.ChoiceField(
        label="Visibilité",
        required=False,
        choices=VISIBILITIES,
        help_text="Les pages publiques ne montrent que les engagements publics.",
    )

    def __init__(self, *args, scope=EVERYTHING, **kwargs):
        super().__init__(*args, **kwargs)
        # One's own territory and those it contains; any other is refused as unknown.
        self.scope = scope
        # The value quoted, so that a code such as « BE » reads as what was typed.
        for field in ("actor_kind", "status", "visibility"):
            self.fields[field].error_messages["invalid_choice"] = (
                "« %(value)s » ne fait pas partie des choix proposés."
            )
        self.fields["territory"].queryset = scope.territories().for_choices()
        if not scope.everything:
            self.fields["territory"].empty_label = f"Tout votre territoire ({scope.label})"

    def filters(self):
        data = self.cleaned_data
        return ReportFilters(
            scope=self.scope,
            issue=data.get("issue"),
            measure=data.get("measure"),
            territory=data.get("territory"),
            year=data.get("year"),
            actor_kind=data.get("actor_kind") or None,
            status=data.get("status") or None,
            visibility=data.get("visibility") or ALL,
        )

    def error_text(self):
        return " ".join(
            f"{self.fields[name].label} : {' '.join(errors)}"
            for name, errors in self.errors.items()
        )
