from django import forms

from actors.models import Actor


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
    def ignored(self):
        return [
            f"{self.fields[name].label} : {' '.join(errors)} Ce filtre a été ignoré."
            for name, errors in self.errors.items()
        ]
