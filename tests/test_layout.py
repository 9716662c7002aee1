"""The package's shape, as README's "How it works" describes it: stages in sub-packages that import
only the stages before them, no import cycles, and modules short enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

APP = ROOT / "app"
# Lower layers never import higher ones. The shared vocabulary comes first; each stage may use the
# stages before it; the pipeline wires the stages; evaluation, benchmarks, the page and the command
# line drive the pipeline.
LAYERS = [
    {"app.schema", "app.config", "app.errors", "app.text", "app.dates", "app.limits"},
    {"app.ingest"}, {"app.model"}, {"app.index"}, {"app.answer"},
    {"app.pipeline", "app.corpus", "app.integrations"},
    {"app.evaluation", "app.bench", "app.ui", "app.console"},
    {"app.cli"},
]
MAX_LINES = 320


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    for rank, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {Path(__file__).name}")


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app") and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if (APP / node.module[4:].replace(".", "/") / f"{a.name}.py").exists())
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("app."))
    return {m for m in found if m != "app" and not m.startswith("app.data")}


MODULES = {_module(p): p for p in sorted(APP.rglob("*.py")) if p != APP / "__init__.py" and p.parent.name != "data"}


def test_every_module_belongs_to_a_layer_and_imports_only_layers_below_or_its_own() -> None:
    upward = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        for target in _imports(path, top_level_only=False)
        if _layer(target) > _layer(name)
    ]
    assert not upward, upward


def test_no_stage_imports_the_pipeline_the_page_or_the_command_line() -> None:
    stages = {n: p for n, p in MODULES.items() if _layer(n) <= 4}
    bad = [f"{n} imports {t}" for n, p in stages.items() for t in _imports(p, top_level_only=False)
           if t.split(".")[1] in ("pipeline", "ui", "cli", "corpus", "evaluation", "bench")]
    assert not bad, bad


def test_module_imports_have_no_cycles() -> None:
    graph = {n: {t for t in _imports(p, top_level_only=True) if t in MODULES and t != n} for n, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_each_stage_says_what_it_takes_and_gives() -> None:
    for package in sorted({p.parent for p in APP.rglob("*.py") if p.parent != APP and p.parent.name != "data"}):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "->" in doc, f"{package.name}/__init__.py should say what the stage takes and gives"


def test_modules_read_in_one_sitting() -> None:
    long = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in MODULES.items()}
    assert not {n: k for n, k in long.items() if k > MAX_LINES}, "split modules over " f"{MAX_LINES} lines"
