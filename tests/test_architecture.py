"""ARCHITECTURE.md's layer table, enforced: every module has a layer and imports only what its
layer may. A new module must be placed (here and in the table) before it can land."""

from __future__ import annotations

import ast
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
        ),
        0,
    ),
    **dict.fromkeys(
        (
            "scenarios/",
            "gateway/request",
            "gateway/validation",
            "gateway/catalogue",
            "gateway/constraints",
            "gateway/status",
            "gateway/tokens",
            "gateway/jobs",
            "gateway/credits",
        ),
        1,
    ),
    **dict.fromkeys(
        (
            "providers/base",
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
            "gateway/auth",
            "gateway/images",
            "gateway/service",
            "gateway/worker",
            "gateway/content",
            "gateway/delivery",
            "gateway/retention",
            "gateway/routes",
        ),
        3,
    ),
    **dict.fromkeys(("server", "control", "inspector/", "cli", "__main__"), 4),
    **dict.fromkeys(("listen/", "harness/", "testing/"), 5),
}
SHARED = {
    "providers/base",
    "providers/http",
    "providers/faults",
    "providers/inprocess",
    "providers/callbacks",
    "providers/registry",
}


def table_name(module: str) -> str | None:
    """'vidmock.providers.vertex.client' -> 'providers/<name>/'; None for the package root."""
    parts = module.split(".")[1:]
    if not parts or parts == ["__init__"] or parts in (["gateway", "__init__"], ["providers", "__init__"]):
        return None  # empty namespace packages split across layers
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts[0] == "providers" and len(parts) > 1 and "/".join(parts[:2]) not in SHARED:
        return "providers/<name>/"
    path = "/".join(parts)
    for candidate in (path, parts[0] + "/", "/".join(parts[:2])):
        if candidate in LAYERS:
            return candidate
    if len(parts) > 1 and parts[0] + "/" in LAYERS:
        return parts[0] + "/"
    return path


def modules() -> dict[str, Path]:
    found = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        found[".".join(rel.parts)] = path
    return found


def imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported vidmock module, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
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
                        out.append((sub if sub in MODULES else target, lazy))
            visit(child, inner)

    visit(tree, False)
    return out


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
    problems = []
    for module, path in MODULES.items():
        name = table_name(module)
        if name is None:
            continue
        for target, lazy in imports(module, path):
            other = table_name(target)
            if other is None or other == name:
                continue
            if LAYERS[other] > LAYERS[name] and not (module == "vidmock.cli" and lazy):
                problems.append(f"{module} (layer {LAYERS[name]}) imports {target} (layer {LAYERS[other]})")
    assert not problems, "\n".join(problems)


def test_gateway_core_never_imports_a_specific_provider() -> None:
    problems = []
    for module, path in MODULES.items():
        if LAYERS.get(table_name(module) or "", -1) in (1, 3) and module.startswith("vidmock.gateway"):
            for target, _ in imports(module, path):
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
            for target, _ in imports(module, path):
                if target.startswith("vidmock.gateway") and target not in (
                    "vidmock.gateway.request",
                    "vidmock.gateway.catalogue",
                ):
                    problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)


def test_harness_imports_only_webhooks_from_vidmock() -> None:
    problems = []
    for module, path in MODULES.items():
        if module.startswith("vidmock.harness"):
            for target, _ in imports(module, path):
                if not target.startswith(("vidmock.harness", "vidmock.webhooks")):
                    problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)
