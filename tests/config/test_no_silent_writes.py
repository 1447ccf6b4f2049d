"""No project code writes to an audited table behind the history's back.

`QuerySet.update()`, `bulk_update()` and `bulk_create()` send no signal, so
django-simple-history records nothing; nor does `update()` through a related manager
(`commitment.deliveries.update(…)`, `actor.commitments.update(…)`). The project's code
must go through `save()` or simple-history's bulk helpers (`bulk_create_with_history`,
`bulk_update_with_history`).
"""

import ast
from pathlib import Path

import pytest
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
BULK_WRITES = {"bulk_update", "bulk_create"}

# (file, function): why its silent write is not one. Only the two helpers that write the
# history themselves right after: the demo loader (tests/datasets/test_load_data.py checks
# that every row the demo loads has its history entry) and the import's apply
# (tests/reports/test_kept_plans.py checks its history rows equal simple-history's).
ALLOWED = {
    ("datasets/demo.py", "_create_with_history"): (
        "On PostgreSQL, bulk_create then one INSERT … SELECT of the same rows' history, "
        "instead of simple-history building them in Python (a third of load_demo's time)."
    ),
    ("reports/imports.py", "apply"): (
        "bulk_create of the new rows, then write_history: one INSERT … SELECT of their "
        "creation history in the same transaction (the import within 5× of COPY)."
    ),
}


def audited_models():
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def related_manager_names():
    """The attribute names through which a related manager of an audited model is reached:
    `deliveries`, `commitments`, `memberships`, `participants`, `forums`…"""
    audited = set(audited_models())
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not field.is_relation or field.related_model is None:
                continue
            if field.auto_created and not field.concrete:  # reverse side: the accessor
                if field.related_model in audited:
                    names.add(field.get_accessor_name())
            elif field.many_to_many and field.related_model in audited:
                names.add(field.name)
    return names


def silent_writes(source: str, filename: str = "<source>") -> list[tuple[str, str]]:
    """The queryset or related-manager `update(…)`, and every `bulk_update(…)` and
    `bulk_create(…)` call in `source`, as ("file:line", enclosing function)."""
    hints = QUERYSET_HINTS | related_manager_names()
    audited = {model.__name__ for model in audited_models()}
    unaudited = {model.__name__ for model in apps.get_models()} - audited
    found = []

    def visit(node, function):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = {
                part.attr if isinstance(part, ast.Attribute) else getattr(part, "id", "")
                for part in ast.walk(node.func.value)
            }
            on_queryset = bool(receiver & hints) or any(
                name.endswith(("queryset", "_set")) for name in receiver
            )
            if receiver & unaudited:
                pass  # Model.objects.bulk_create(…) of a model without history
            elif method in BULK_WRITES or (method == "update" and on_queryset):
                found.append((f"{filename}:{node.lineno}", function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source, filename), "")
    return found


def lines(found):
    return [where for where, _function in found]


def test_the_detector_sees_an_update_and_a_bulk_update():
    source = (
        "Commitment.objects.filter(pk=1).update(status='x')\n"
        "queryset.update(status='x')\n"
        "Delivery.objects.bulk_update(rows, ['status'])\n"
        "options.update({'a': 1})\n"
    )
    assert lines(silent_writes(source)) == ["<source>:1", "<source>:2", "<source>:3"]


def test_the_detector_lets_a_model_without_history_write_in_bulk():
    source = (
        "ReminderSent.objects.bulk_create(rows)\n"
        "ReminderSent.objects.filter(pk=1).update(run=None)\n"
        "ExpectedReport.objects.bulk_create(rows)\n"
    )
    assert lines(silent_writes(source)) == ["<source>:3"]


@pytest.mark.parametrize(
    "call",
    [
        "commitment.deliveries.update(status='validated')",
        "self.commitment.deliveries.filter(status='reported').update(amount=0)",
        "actor.commitments.update(is_public=False)",
        "user.memberships.update(actor=other)",
        "forum.participants.update(name='x')",
        "measure.commitments.all().update(year=2021)",
        "Commitment.objects.bulk_create(rows)",
        "Actor.objects.bulk_create(rows, batch_size=100)",
        "Membership.objects.bulk_create([Membership(user=u, actor=a)])",
        "model.objects.bulk_create(objs)",
    ],
)
def test_the_detector_sees_related_manager_updates_and_bulk_creates(call):
    source = f"def write():\n    {call}\n    settings.update(x=1)\n    seen['a'].update(ids)\n"
    assert silent_writes(source) == [("<source>:2", "write")]


def project_silent_writes():
    base = Path(settings.BASE_DIR)
    found = []
    for package in PROJECT_PACKAGES:
        for path in sorted((base / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = str(path.relative_to(base))
            found += [
                (where, relative, function)
                for where, function in silent_writes(path.read_text(), relative)
            ]
    return found


def test_no_project_code_updates_an_audited_table_without_history():
    found = project_silent_writes()
    assert [where for where, path, function in found if (path, function) not in ALLOWED] == []


def test_the_only_exemptions_are_the_demo_loader_and_the_import_and_in_use():
    assert {path for path, _function in ALLOWED} == {"datasets/demo.py", "reports/imports.py"}
    used = {(path, function) for _where, path, function in project_silent_writes()}
    assert set(ALLOWED) <= used, "an exemption that no longer matches anything: remove it"
