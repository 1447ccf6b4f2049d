from urllib.parse import urlencode

from django import forms

from actors.models import Actor
from strategy.models import Issue, Territory


class PublicFilterForm(forms.Form):
    """Year, territory and issue filters of the public pages, read from GET parameters.

    Choices come from lists the view has already loaded, so that validating a bad value
    costs no query; an invalid field is dropped and reported, the others still apply.
    """

    year = forms.TypedChoiceField(label="Année", required=False, coerce=int, empty_value=None)
    territory = forms.ChoiceField(label="Territoire", required=False)
    issue = forms.ChoiceField(label="Enjeu", required=False)

    def __init__(self, data, *, years, territories, issues, with_issue=True):
        super().__init__(data)
        self.territories = {t.slug: t for t in territories}
        self.territory_by_pk = {t.pk: t for t in territories}
        self.issues = {i.slug: i for i in issues}
        self.fields["year"].choices = [("", "Toutes les années")] + [(y, y) for y in years]
        self.fields["territory"].choices = [("", "Tous les territoires")] + [
            (t.slug, t.name) for t in territories
        ]
        self.fields["issue"].choices = [("", "Tous les enjeux")] + [
            (i.slug, i.name) for i in issues
        ]
        if not with_issue:
            del self.fields["issue"]
        self.is_valid()

    @classmethod
    def from_request(cls, request, *, years, with_issue=True):
        return cls(
            request.GET,
            years=years,
            territories=Territory.objects.for_choices(),
            issues=Issue.objects.all() if with_issue else [],
            with_issue=with_issue,
        )

    @property
    def values(self):
        """Keyword arguments for CommitmentQuerySet.filtered(): the valid filters only."""
        data = getattr(self, "cleaned_data", {})
        return {
            "year": data.get("year"),
            "territory": self.territories.get(data.get("territory") or ""),
            "issue": self.issues.get(data.get("issue") or ""),
        }

    @property
    def ignored(self):
        """French messages for the values that could not be used."""
        return [
            f"{self.fields[name].label} : {' '.join(errors)} Ce filtre a été ignoré."
            for name, errors in self.errors.items()
        ]

    @property
    def canonical(self):
        """The valid filters as their query parameters, for the page cache."""
        values = self.values
        return {
            "year": values["year"],
            "territory": getattr(values["territory"], "slug", None),
            "issue": getattr(values.get("issue"), "slug", None),
        }

    @property
    def query(self):
        """`?year=2021&territory=nord` for links that keep the year and territory filters."""
        values = self.values
        params = {"year": values["year"], "territory": getattr(values["territory"], "slug", None)}
        params = {k: v for k, v in params.items() if v is not None}
        return f"?{urlencode(params)}" if params else ""

    @property
    def active(self):
        return any(self.values.values())


class ActorFilterForm(forms.Form):
    """The directory's filters; an invalid field is dropped and reported, never a 500."""

    SECTORS = {"public": True, "prive": False}

    q = forms.CharField(label="Nom", required=False, max_length=100, strip=True)
    kind = forms.ChoiceField(
        label="Type d'acteur",
        required=False,
        choices=[("", "Tous les types"), *Actor.Kind.choices],
    )
    territory = forms.ChoiceField(label="Territoire", required=False)
    sector = forms.ChoiceField(
        label="Public ou privé",
        required=False,
        choices=[("", "Tous"), ("public", "Acteurs publics"), ("prive", "Acteurs privés")],
    )

    def __init__(self, data, *, territories):
        super().__init__(data)
        self.territories = {t.slug: t for t in territories}
        self.fields["territory"].choices = [("", "Tous les territoires")] + [
            (t.slug, t.name) for t in territories
        ]
        self.is_valid()

    @property
    def values(self):
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q") or None,
            "kind": data.get("kind") or None,
            "territory": self.territories.get(data.get("territory") or ""),
            "is_public_sector": self.SECTORS.get(data.get("sector") or ""),
        }

    @property
    def canonical(self):
        """The valid filters as their query parameters, for the page cache; a search is
        never canonical: each text typed would be an entry of its own."""
        data = getattr(self, "cleaned_data", {})
        values = self.values
        return {
            "kind": values["kind"],
            "territory": getattr(values["territory"], "slug", None),
            "sector": data.get("sector") if values["is_public_sector"] is not None else None,
        }

    @property
    def ignored(self):
        return [
            f"{self.fields[name].label} : {' '.join(errors)} Ce filtre a été ignoré."
            for name, errors in self.errors.items()
        ]
