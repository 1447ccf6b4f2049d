"""Dependencies run one way: the audiences' apps use the domain, never the reverse.

Read from the source with ast, so that a new import that breaks the rule fails here.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN = {"strategy", "actors", "commitments"}
SURFACES = {"public", "space", "reports", "accounts", "datasets", "operations", "api"}


def modules():
    """(module name, its package, path) of every Python file of the apps and config."""
    for package in sorted(DOMAIN | SURFACES | {"config"}):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if path.name == "__init__.py":
                yield ".".join(parts[:-1]), ".".join(parts[:-1]), path
            else:
                yield ".".join(parts), ".".join(parts[:-1]), path


def imported(source, package=""):
    """Every module a source imports, by its full dotted name (`from a import b` gives
    both `a` and `a.b`, since b may be a module); relative imports are resolved against
    the importing module's package."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(
                part for part in [*(base if node.level else []), node.module or ""] if part
            )
            if node.module:
                names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def project_imports():
    for name, package, path in modules():
        for target in imported(path.read_text(), package):
            if target.split(".")[0] in DOMAIN | SURFACES | {"config"}:
                yield name, target


def test_the_import_reader_sees_both_forms_of_import():
    # A tab, which Python reads as a space: grepping the project for imports of views
    # modules then finds only real ones.
    source = "import public.cache\nfrom reports.views\timport index\n"
    assert imported(source) == {"public.cache", "reports.views", "reports.views.index"}


def test_the_import_reader_resolves_relative_imports():
    assert imported("from .views\timport index\n", "reports") == {
        "reports.views",
        "reports.views.index",
    }
    assert imported("from . import views\n", "reports") == {"reports.views"}
    assert imported("from ..models import Commitment\n", "commitments.management") == {
        "commitments.models",
        "commitments.models.Commitment",
    }


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
