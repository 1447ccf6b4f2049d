"""Dependencies run one way: the audiences' apps use the domain, never the reverse.

Read from the source with ast, so that a new import that breaks the rule fails here.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN = {"strategy", "actors", "commitments"}
SURFACES = {"public", "space", "reports", "accounts", "datasets", "operations"}


def modules():
    """(module name, path) of every Python file of the project's apps and config."""
    for package in sorted(DOMAIN | SURFACES | {"config"}):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def imported(source):
    """Every module a source imports, by its full dotted name (`from a import b` gives
    both `a` and `a.b`, since b may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def project_imports():
    for name, path in modules():
        for target in imported(path.read_text()):
            if target.split(".")[0] in DOMAIN | SURFACES | {"config"}:
                yield name, target


def test_the_import_reader_sees_both_forms_of_import():
    source = "import public.cache\nfrom reports.views import index\n"
    assert imported(source) == {"public.cache", "reports.views", "reports.views.index"}


def domain_violations(pairs):
    return [
        f"{name} imports {target}"
        for name, target in pairs
        if name.split(".")[0] in DOMAIN and target.split(".")[0] in SURFACES
    ]


def views_violations(pairs):
    """A views module is imported only by its app's urls.py (or its own submodules)."""
    return [
        f"{name} imports {target}"
        for name, target in pairs
        if (target.endswith(".views") or ".views." in target)
        and name != f"{target.split('.')[0]}.urls"
        and not target.startswith(f"{name}.")
    ]


def command_violations(pairs):
    return [
        f"{name} imports {target}"
        for name, target in pairs
        if ".management.commands." in target and target != name
    ]


def test_the_domain_imports_no_audience_app():
    assert domain_violations(project_imports()) == []


def test_only_an_apps_own_urls_module_imports_its_views():
    assert views_violations(project_imports()) == []


def test_no_command_imports_another_command():
    assert command_violations(project_imports()) == []


def test_each_rule_catches_what_breaks_it():
    assert domain_violations([("commitments.admin", "public.cache.cached")]) != []
    assert domain_violations([("public.views", "commitments.models")]) == []
    assert views_violations([("reports.admin_exports", "reports.views.csv_response")]) != []
    assert views_violations([("reports.urls", "reports.views")]) == []
    assert views_violations([("space.urls", "reports.views")]) != []
    bench = "operations.management.commands.bench"
    assert command_violations([(f"{bench}_reports", f"{bench}.free_port")]) != []
    assert command_violations([(bench, "operations.servers")]) == []


def test_the_root_urlconf_only_includes_the_apps_urls():
    tree = ast.parse((ROOT / "config" / "urls.py").read_text())
    routes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "path"
    ]
    assert routes, "no path() found: the reader no longer matches config/urls.py"
    for route in routes:
        view = route.args[1]
        included = isinstance(view, ast.Call) and getattr(view.func, "id", None) == "include"
        admin_urls = ast.unparse(view) == "admin.site.urls"
        assert included or admin_urls, ast.unparse(route)
