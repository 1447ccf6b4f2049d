import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def validate_single_line(value):
    """Titles and names hold on one line: a line break or a control character in one
    breaks a mail subject, a spreadsheet cell or a page's heading."""
    if CONTROL_CHARACTERS.search(value or ""):
        raise ValidationError(
            _(
                "Ce champ tient sur une ligne : retirez les retours à la ligne, tabulations "
                "et autres caractères de contrôle."
            ),
            code="single_line",
        )
