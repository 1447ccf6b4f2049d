"""No project code writes to an audited table behind the history's back.

`QuerySet.update()` and `bulk_update()` send no signal, so django-simple-history records
nothing. The project's code must go through `save()` or simple-history's bulk helpers.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

# Every app of the project (not the libraries'), and the settings package.
PROJECT_PACKAGES = [
    *(
        app.name
        for app in apps.get_app_configs()
        if Path(app.path).parent == Path(settings.BASE_DIR)
    ),
    "config",
]
QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "history"}


def silent_writes(source: str, filename: str = "<source>") -> list[str]:
    """The `…objects…update(…)` and `….bulk_update(…)` calls in `source`, as file:line."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        receiver = {
            part.attr if isinstance(part, ast.Attribute) else getattr(part, "id", "")
            for part in ast.walk(node.func.value)
        }
        on_queryset = bool(receiver & QUERYSET_HINTS) or any(
            name.endswith(("queryset", "_set")) for name in receiver
        )
        if method == "bulk_update" or (method == "update" and on_queryset):
            found.append(f"{filename}:{node.lineno}")
    return found


def test_the_detector_sees_an_update_and_a_bulk_update():
    source = (
        "Commitment.objects.filter(pk=1).update(status='x')\n"
        "queryset.update(status='x')\n"
        "Delivery.objects.bulk_update(rows, ['status'])\n"
        "options.update({'a': 1})\n"
    )
    assert silent_writes(source) == ["<source>:1", "<source>:2", "<source>:3"]


def test_no_project_code_updates_an_audited_table_without_history():
    base = Path(settings.BASE_DIR)
    found = []
    for package in PROJECT_PACKAGES:
        for path in sorted((base / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found += silent_writes(path.read_text(), str(path.relative_to(base)))
    assert found == []
