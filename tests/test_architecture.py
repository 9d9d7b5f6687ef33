"""ARCHITECTURE.md's layer table, enforced: every module has a layer and imports only what its
layer may. A new module must be placed (here and in the table) before it can land."""

from __future__ import annotations

import ast
import functools
import shutil
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "vidmock"

# The table in ARCHITECTURE.md: (layer, name as the table spells it). A trailing "/" is a package.
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        (
            "clock",
            "store/",
            "ids",
            "errors",
            "journal",
            "ranges",
            "media",
            "config",
            "jsonutil",
            "responses",
            "gcs",
            "webhooks/",
            "shared",
            "settings",
            "requestlog",
            "masking",
            "netaddr",
        ),
        0,
    ),
    **dict.fromkeys(
        (
            "scenarios/",
            "gateway/domain/",  # what a request, job, model and release are; no I/O
        ),
        1,
    ),
    **dict.fromkeys(
        (
            "providers/base",
            "providers/kit",  # the emulator kit (a package)
            "providers/http",
            "providers/faults",
            "providers/inprocess",
            "providers/callbacks",
            "providers/registry",
            "providers/<name>/",
        ),
        2,
    ),
    **dict.fromkeys(
        (
            "gateway/application/",  # routes, service, worker, delivery, retention, filter
        ),
        3,
    ),
    **dict.fromkeys(("server", "serving", "control", "inspector/", "cli", "__main__"), 4),
    **dict.fromkeys(("listen/", "harness/", "testing/", "record/"), 5),
}
SHARED = {
    "providers/base",
    "providers/kit",
    "providers/http",
    "providers/faults",
    "providers/inprocess",
    "providers/callbacks",
    "providers/registry",
}


def table_name(module: str) -> str | None:
    """'vidmock.providers.vertex.client' -> 'providers/<name>/'; None for the package root.

    A package's `__init__.py` is named as the package itself ('vidmock.providers.fal')."""
    parts = module.split(".")[1:]
    if parts in ([], ["gateway"], ["providers"]):
        return None  # empty namespace packages split across layers
    if parts[0] == "providers" and len(parts) > 1 and "/".join(parts[:2]) not in SHARED:
        return "providers/<name>/"
    path = "/".join(parts)
    for candidate in (path, parts[0] + "/", "/".join(parts[:2]), "/".join(parts[:2]) + "/"):
        if candidate in LAYERS:
            return candidate
    if len(parts) > 1 and parts[0] + "/" in LAYERS:
        return parts[0] + "/"
    return path


def modules(pkg: Path = PKG) -> dict[str, Path]:
    """Dotted module name -> file, for every module under `pkg`; a package's `__init__.py` is the package."""
    found = {}
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


@functools.cache
def _parse(source: str) -> ast.Module:
    # Keyed by the text: the planted-violation tests copy the tree, and every file but one parses as before.
    return ast.parse(source)


def imports(module: str, path: Path, known: Mapping[str, Path]) -> list[tuple[str, bool]]:
    """(imported vidmock module, inside a function) for every import in the file.

    Relative imports resolve as Python does: against the module's package, which for an `__init__.py` is the module
    itself (`from ..base import X` in `providers/fal/__init__.py` is `vidmock.providers.base`)."""
    tree = _parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, lazy) for a in child.names if a.name.startswith("vidmock"))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("vidmock"):
                    for alias in child.names:  # `from . import x` may name a submodule
                        sub = f"{target}.{alias.name}"
                        out.append((sub if sub in known else target, lazy))
            visit(child, inner)

    visit(tree, False)
    return out


def upward_imports(known: Mapping[str, Path]) -> list[str]:
    """Every import of a higher layer than the importer's (`cli` may import anything lazily)."""
    problems = []
    for module, path in known.items():
        name = table_name(module)
        if name is None:
            continue
        for target, lazy in imports(module, path, known):
            other = table_name(target)
            if other is None or other == name:
                continue
            if LAYERS[other] > LAYERS[name] and not (module == "vidmock.cli" and lazy):
                problems.append(f"{module} (layer {LAYERS[name]}) imports {target} (layer {LAYERS[other]})")
    return problems


MODULES = modules()


def test_every_module_has_a_layer_named_in_architecture_md() -> None:
    doc = (ROOT / "ARCHITECTURE.md").read_text()
    for module in MODULES:
        name = table_name(module)
        if name is None:
            continue
        assert name in LAYERS, f"{module} is in no layer: add it to ARCHITECTURE.md's table and to LAYERS here"
    for name in LAYERS:
        assert f"`{name}`" in doc, f"`{name}` is missing from ARCHITECTURE.md's layer table"


def test_no_module_imports_a_higher_layer() -> None:
    problems = upward_imports(MODULES)
    assert not problems, "\n".join(problems)


def test_gateway_core_never_imports_a_specific_provider() -> None:
    problems = []
    for module, path in MODULES.items():
        if LAYERS.get(table_name(module) or "", -1) in (1, 3) and module.startswith("vidmock.gateway"):
            for target, _ in imports(module, path, MODULES):
                if table_name(target) == "providers/<name>/" or target in (
                    "vidmock.providers.registry",
                    "vidmock.providers.inprocess",
                ):
                    problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)


def test_providers_take_only_request_and_catalogue_types_from_the_gateway() -> None:
    problems = []
    for module, path in MODULES.items():
        if module.startswith("vidmock.providers"):
            for target, _ in imports(module, path, MODULES):
                if target.startswith("vidmock.gateway") and target not in (
                    "vidmock.gateway.domain.request",
                    "vidmock.gateway.domain.catalogue",
                ):
                    problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)


def test_harness_imports_only_webhooks_from_vidmock() -> None:
    problems = []
    for module, path in MODULES.items():
        if module.startswith("vidmock.harness"):
            for target, _ in imports(module, path, MODULES):
                if not target.startswith(("vidmock.harness", "vidmock.webhooks")):
                    problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)


# The checker, checked: a violation planted in a copy of the tree must be found, in a plain module and in an
# `__init__.py` (whose relative imports were once resolved one package too deep, so such a plant passed).
def planted(tmp_path: Path, rel: str, line: str) -> list[str]:
    copy = tmp_path / "vidmock"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / rel
    target.write_text(target.read_text() + f"\n{line}\n")
    return upward_imports(modules(copy))


def test_the_copied_tree_is_clean(tmp_path: Path) -> None:
    copy = tmp_path / "vidmock"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert upward_imports(modules(copy)) == []


def test_an_upward_import_in_a_module_is_caught(tmp_path: Path) -> None:
    assert planted(tmp_path, "gateway/domain/status.py", "from ...server import build_app") == [
        "vidmock.gateway.domain.status (layer 1) imports vidmock.server (layer 4)"
    ]


def test_the_gateway_domain_importing_its_application_layer_is_caught(tmp_path: Path) -> None:
    # The folders are the layers: a domain module reaching into gateway/application/ is the violation they exist to show.
    assert planted(tmp_path, "gateway/domain/jobs.py", "from ..application.service import GatewayService") == [
        "vidmock.gateway.domain.jobs (layer 1) imports vidmock.gateway.application.service (layer 3)"
    ]


def test_an_upward_import_in_an_init_file_is_caught(tmp_path: Path) -> None:
    assert planted(tmp_path, "providers/fal/__init__.py", "from ...server import build_app") == [
        "vidmock.providers.fal (layer 2) imports vidmock.server (layer 4)"
    ]


def test_an_upward_import_of_a_sibling_package_from_an_init_file_is_caught(tmp_path: Path) -> None:
    # `from .. import server` names a module, not a package attribute: it must resolve to vidmock.server.
    assert planted(tmp_path, "store/__init__.py", "from .. import server") == [
        "vidmock.store (layer 0) imports vidmock.server (layer 4)"
    ]


def test_a_lazy_upward_import_is_caught_outside_cli(tmp_path: Path) -> None:
    line = "def _late() -> None:\n    from .gateway.application import routes  # noqa: F401"
    assert planted(tmp_path, "journal.py", line) == [
        "vidmock.journal (layer 0) imports vidmock.gateway.application.routes (layer 3)"
    ]
