from django.core.exceptions import ValidationError
from stdnum.fr import siret


def validate_siret(value):
    """14 digits with a valid check digit (python-stdnum knows La Poste's exception)."""
    if not siret.is_valid(value):
        raise ValidationError(
            "« %(value)s » n'est pas un numéro SIRET valide (14 chiffres, clé de contrôle).",
            code="invalid_siret",
            params={"value": value},
        )
