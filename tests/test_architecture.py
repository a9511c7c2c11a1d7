"""The layering that keeps each new document a small adapter, checked on the import graph:
the kernel (`app/core`) imports no domain, no two folders import each other (directly or
round a loop), the approval engine and the event outbox import no document, and only the
fast path reaches below the ORM. Imports under `if TYPE_CHECKING:` do not count (they
never run); imports inside functions do."""

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
FOLDERS = sorted(p.name for p in APP.iterdir() if (p / "__init__.py").exists())
# What the approval engine and the outbox may build on: none of them is a document.
ENGINE_DEPENDENCIES = {"core", "events", "audit", "calendar"}
OUTBOX_DEPENDENCIES = {"core", "audit"}


def _runtime_imports(tree: ast.AST) -> list[tuple[str, int]]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, node.lineno)]
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return found


def _graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], list[str]]]:
    """Folder → folders it imports, and where each edge comes from."""
    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for folder in FOLDERS:
        for path in sorted((APP / folder).rglob("*.py")):
            for module, line in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
                parts = module.split(".")
                if parts[0] == "app" and len(parts) > 1 and parts[1] in FOLDERS \
                        and parts[1] != folder:
                    edges[folder].add(parts[1])
                    place = f"{path.relative_to(APP.parent)}:{line}"
                    if place not in where[folder, parts[1]]:
                        where[folder, parts[1]].append(place)
    return edges, where


def _modules_importing(prefix: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(APP.rglob("*.py")):
        for module, line in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module == prefix or module.startswith(prefix + "."):
                found[str(path.relative_to(APP.parent))].append(f"{module}:{line}")
    return found


def test_core_imports_no_domain() -> None:
    edges, where = _graph()
    assert not edges["core"], {d: where["core", d] for d in edges["core"]}


def test_no_import_cycle_between_folders() -> None:
    edges, where = _graph()

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            for following in edges[stack.pop()] - seen:
                if following == goal:
                    return True
                seen.add(following)
                stack.append(following)
        return False

    loops = {f"{a} -> {b}": where[a, b] for a in FOLDERS for b in edges[a] if reaches(b, a)}
    assert not loops, loops


def test_approval_engine_imports_no_document() -> None:
    edges, where = _graph()
    documents = edges["approvals"] - ENGINE_DEPENDENCIES
    assert not documents, {d: where["approvals", d] for d in documents}


def test_event_outbox_imports_no_document() -> None:
    edges, where = _graph()
    documents = edges["events"] - OUTBOX_DEPENDENCIES
    assert not documents, {d: where["events", d] for d in documents}


def test_only_the_fast_path_reaches_below_the_orm() -> None:
    """The journal is private to `app.core.fastpath`, and no module talks to asyncpg
    directly; domains use the façade (fetch, append, update, loaded_entity, write_loaded,
    sync_loaded)."""
    inside = "app/core/fastpath/"
    for private in ("app.core.fastpath._journal", "asyncpg"):
        outside = {path: lines for path, lines in _modules_importing(private).items()
                   if not path.startswith(inside)}
        assert not outside, (private, outside)
