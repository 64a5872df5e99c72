"""The Python project model: which legacy tracing flows cross files, and which must stay legacy whole.

A migration is all or nothing per flow (a tracer and the spans it starts, wherever they go). Some flows
cannot be migrated by this tool, and rewriting the files around them would leave a half that works with
neither library. The model finds them once per run, before any file is rewritten:

- a **public API that takes a legacy value**: a public function or method of a package module that
  receives a tracer or span from its caller and uses it as one (`DjangoTracing(tracer)`,
  `init_tracing(tracer)`, `adjust_span(span, ...)`). The library's users hand it OpenTracing objects, so
  the whole distribution (every legacy file under its setup.py / pyproject.toml, tests included) stays
  legacy: moving it to OpenTelemetry is a new major version a maintainer writes;
- a **value the OTel API cannot express**: a span context built by hand with its ids
  (`jaeger_client.SpanContext(trace_id, span_id, ...)`), a write to a span context's ids, a legacy module
  kept in a variable or attribute (its tracers and spans cannot be followed), a class that subclasses an
  OpenTracing type, a tracer from an OpenTracing implementation with no migration (basictracer,
  lightstep, instana). The legacy files connected to it by project imports stay legacy.

Only files that mention a legacy library are parsed (with `ast`); the rest are indexed by path.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from otmigrate.config import Settings
from otmigrate.sourcefile import SourceError, read_bytes

MIGRATED_LIBRARIES = ("opentracing", "jaeger_client", "py_zipkin")
# OpenTracing tracer implementations this tool has no migration for: tracers made by them stay.
UNMIGRATED_TRACERS = ("basictracer", "lightstep", "instana")
LEGACY_MODULES = MIGRATED_LIBRARIES + UNMIGRATED_TRACERS
OPENTRACING_TYPES = ("Tracer", "Span", "SpanContext", "Scope", "ScopeManager")
# Attributes that show a parameter is used as a tracer or a span.
LEGACY_VALUE_ATTRIBUTES = frozenset(
    {
        "start_span",
        "start_active_span",
        "scope_manager",
        "active_span",
        "inject",
        "extract",
        "set_tag",
        "log_kv",
        "log_event",
        "finish",
        "set_operation_name",
        "set_baggage_item",
        "get_baggage_item",
        "context",
    }
)
DISTRIBUTION_FILES = ("setup.py", "pyproject.toml", "setup.cfg")
JAEGER_TRACER_CLASSES = frozenset({"jaeger_client.Tracer", "jaeger_client.tracer.Tracer"})
# Calls that make a legacy tracer: a function returning what they give is a tracer helper.
TRACER_FACTORIES = frozenset({"initialize_tracer", "new_tracer", "global_tracer"})


@dataclass(frozen=True)
class Hold:
    """Why a file's legacy tracing is left whole: the construct, where it is."""

    path: str  # relative to the root the run shares with the held file, for the TODO
    line: int
    reason: str

    def todo(self) -> str:
        return f"legacy tracing kept whole: {self.reason} ({self.path}:{self.line})"


@dataclass
class PythonProject:
    held: dict[str, Hold] = field(default_factory=dict)  # resolved path → why its flow stays legacy

    def in_scope(self, path: Path) -> bool:
        """No file is read beyond the prefilter: uses of helpers' legacy values are held, not migrated."""
        return False

    def hold(self, path: str | Path) -> Hold | None:
        return self.held.get(str(Path(path).resolve()))

    def kept_reason(self, path: str | Path) -> str | None:
        """Why the file stays legacy whole (scan reports its usages as manual), or None."""
        hold = self.hold(path)
        return hold.todo() if hold is not None else None


@dataclass
class _File:
    path: Path
    module: str
    imports: set[str]  # project modules (dotted) it may import
    whole_project: list[Hold]  # holds for the whole distribution
    connected: list[Hold]  # holds for the legacy files import-connected to it
    helpers: list[str] = field(default_factory=list)  # module-level functions returning a legacy tracer


def build(paths: list[Path], settings: Settings | None = None) -> PythonProject:
    resolved = [path.resolve() for path in paths]
    modules = {_module_name(path): path for path in resolved}
    root = _common_root(resolved)
    files: dict[Path, _File] = {}
    others: list[Path] = []  # files that mention no legacy library: callers of helpers, maybe
    for path in resolved:
        try:
            data = read_bytes(path)  # only regular files under the size limit (never a FIFO)
        except SourceError:
            continue  # the file's own read reports it
        if not any(name.encode() in data for name in MIGRATED_LIBRARIES):
            others.append(path)
            continue
        try:
            tree = ast.parse(data, str(path))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        indexed = _index(path, tree, root)
        if indexed is not None:
            files[path] = indexed
    _hold_helpers_with_unmigrated_callers(files, others, root)
    project = PythonProject()
    for holder in files.values():
        for hold in holder.whole_project:
            home = _distribution(holder.path, root)
            for path in files:
                if path.is_relative_to(home):
                    project.held.setdefault(str(path), hold)
    for group in _components(files, modules):
        holds = [hold for path in group for hold in files[path].connected]
        if holds:
            for path in group:
                project.held.setdefault(str(path), holds[0])
    return project


def _index(path: Path, tree: ast.Module, root: Path) -> _File | None:
    aliases: dict[str, str] = {}  # local name → qualified legacy name
    imports: set[str] = set()
    package = _module_name(path).rpartition(".")[0] if path.name != "__init__.py" else _module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports.add(alias.name)
                if alias.name.split(".")[0] in LEGACY_MODULES:
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            imports.add(base)
            for alias in node.names:
                imports.add(f"{base}.{alias.name}")
                if base.split(".")[0] in LEGACY_MODULES:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    if not aliases:
        return None
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    connected = [Hold(shown, line, reason) for line, reason in _unmigratable(tree, aliases)]
    helpers = [f.name for f in tree.body if isinstance(f, ast.FunctionDef) and _returns_a_tracer(f, aliases)]
    whole = []
    if _is_package_module(path) and not _is_test(
        path.relative_to(root) if path.is_relative_to(root) else path
    ):
        whole = [Hold(shown, line, reason) for line, reason in _public_legacy_api(tree)]
    return _File(path, _module_name(path), imports, whole, connected, helpers)


def _returns_a_tracer(function: ast.FunctionDef, aliases: dict[str, str]) -> bool:
    """`def init_tracer(..): ... return config.initialize_tracer()` (or a name bound to it)."""
    makes = any(
        isinstance(node, ast.Call) and _last_name(node.func) in TRACER_FACTORIES
        for node in ast.walk(function)
    ) or any(_qualified(node, aliases) == "opentracing.tracer" for node in ast.walk(function))
    returns = any(
        isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value)
        for node in ast.walk(function)
    )
    return makes and returns


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _hold_helpers_with_unmigrated_callers(files: dict[Path, _File], others: list[Path], root: Path) -> None:
    """A helper's tracer used by a file that imports no legacy library: that caller is not migrated,
    so the helper's flow stays legacy (a migrated helper would hand it an OTel tracer)."""
    by_module = {f.module: f for f in files.values() if f.helpers}
    names = {name.encode() for f in by_module.values() for name in f.helpers}
    for path in others if names else []:
        try:
            data = read_bytes(path)
            if not any(name in data for name in names):
                continue
            tree = ast.parse(data, str(path))
        except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for helper, line in _helper_uses(tree, path, by_module):
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            reason = f"the tracer from `{helper}()` goes to a module this tool does not migrate yet"
            owner = next(f for f in by_module.values() if helper in f.helpers)
            owner.connected.append(Hold(shown, line, reason))


def _helper_uses(tree: ast.Module, path: Path, by_module: dict[str, _File]) -> list[tuple[str, int]]:
    """(helper, line) for each `x = helper(..)` whose `x` is then used as a tracer, or `helper(..).attr`."""
    package = _module_name(path).rpartition(".")[0] if path.name != "__init__.py" else _module_name(path)
    helpers: dict[str, str] = {}  # local name → helper name
    modules: dict[str, _File] = {}  # local name → the helper module it binds
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                local = alias.asname or alias.name
                if base in by_module and alias.name in by_module[base].helpers:
                    helpers[local] = alias.name
                elif f"{base}.{alias.name}" in by_module:
                    modules[local] = by_module[f"{base}.{alias.name}"]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in by_module and alias.asname:
                    modules[alias.asname] = by_module[alias.name]

    def helper_of(call: ast.AST) -> str | None:
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if isinstance(func, ast.Name):
            return helpers.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            return func.attr if func.attr in modules[func.value.id].helpers else None
        return None

    tracers: dict[str, str] = {}  # variable → the helper that made it
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and helper_of(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    tracers[target.id] = helper_of(node.value) or ""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in LEGACY_VALUE_ATTRIBUTES | {"close"}:
            helper = helper_of(node.value)
            if helper is None and isinstance(node.value, ast.Name):
                helper = tracers.get(node.value.id)
            if helper:
                found.append((helper, node.lineno))
    return found


def _unmigratable(tree: ast.Module, aliases: dict[str, str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for local, name in aliases.items():
        top = name.split(".")[0]
        if top in UNMIGRATED_TRACERS:
            found.append((_import_line(tree, local), f"tracers from {top}, which has no migration"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _qualified(node.func, aliases) in JAEGER_TRACER_CLASSES:
            found.append((node.lineno, "a jaeger Tracer built directly (its reporter, sampler, codecs)"))
        elif isinstance(node, ast.Call) and _last_name(node.func) in ("SpanContext", "ZipkinAttrs"):
            found.append(
                (node.lineno, f"a span context built by hand from its ids ({_last_name(node.func)})")
            )
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and _last_name(target.value) == "context":
                    found.append((node.lineno, f"a write to a span context's `{target.attr}`"))
                elif _qualified(target, aliases) == "opentracing.tracer":
                    found.append((node.lineno, "the global OpenTracing tracer set by assignment"))
            if isinstance(node.value, ast.Name) and aliases.get(node.value.id) in LEGACY_MODULES:
                found.append((node.lineno, f"the {aliases[node.value.id]} module kept in a variable"))
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = _qualified(base, aliases)
                if name.split(".")[0] in LEGACY_MODULES and name.split(".")[-1] in OPENTRACING_TYPES:
                    found.append((node.lineno, f"class {node.name} subclasses {name}"))
    return sorted(found)


def _public_legacy_api(tree: ast.Module) -> list[tuple[int, str]]:
    """Public functions and methods whose caller hands them a tracer or span they use as one."""
    found = []
    for owner, function in _public_functions(tree):
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
        for param in params:
            if not any(word in param for word in ("tracer", "span", "scope")):
                continue
            if _used_as_legacy_value(function, param):
                name = f"{owner}.{function.name}" if owner else function.name
                if function.name == "__init__":
                    name = owner
                found.append((function.lineno, f"its public API `{name}({param})` takes a legacy {param}"))
                break
    return found


def _public_functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            functions.append(("", node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    item.name == "__init__" or not item.name.startswith("_")
                ):
                    functions.append((node.name, item))
    return functions


def _used_as_legacy_value(function: ast.AST, param: str) -> bool:
    """`param.start_span(..)`, `param.set_tag(..)`, …, or `param` stored in an attribute or a global."""
    globals_ = {name for node in ast.walk(function) if isinstance(node, ast.Global) for name in node.names}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == param
            and node.attr in LEGACY_VALUE_ATTRIBUTES
        ):
            return True
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == param:
            for target in node.targets:
                if isinstance(target, ast.Attribute) or (
                    isinstance(target, ast.Name) and target.id in globals_
                ):
                    return True
    return False


def _components(files: dict[Path, _File], modules: dict[str, Path]) -> list[list[Path]]:
    """The legacy files grouped by project imports between them (either direction)."""
    parent = {path: path for path in files}

    def find(path: Path) -> Path:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for path, indexed in files.items():
        for name in indexed.imports:
            target = modules.get(name)
            if target is not None and target in files and target != path:
                parent[find(target)] = find(path)
    groups: dict[Path, list[Path]] = {}
    for path in files:
        groups.setdefault(find(path), []).append(path)
    return list(groups.values())


def _module_name(path: Path) -> str:
    """The dotted name the file is imported by: its package folders (with `__init__.py`) and its stem."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder != folder.parent:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".") if package else []
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_package_module(path: Path) -> bool:
    return (path.parent / "__init__.py").is_file()


def _is_test(path: Path) -> bool:
    return any(part in ("test", "tests", "testing") for part in path.parts) or (
        path.name.startswith("test_") or path.name.endswith("_test.py") or path.name == "conftest.py"
    )


def _distribution(path: Path, root: Path) -> Path:
    """The folder of the nearest setup.py / pyproject.toml / setup.cfg above `path`, else the run's root."""
    for folder in path.parents:
        if any((folder / name).is_file() for name in DISTRIBUTION_FILES):
            return folder
        if folder == root:
            break
    return root


def _common_root(paths: list[Path]) -> Path:
    if not paths:
        return Path.cwd()
    common = paths[0].parent
    for path in paths[1:]:
        while not path.is_relative_to(common):
            common = common.parent
    return common


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _qualified(node: ast.AST, aliases: dict[str, str]) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([aliases.get(node.id, node.id), *parts])


def _import_line(tree: ast.Module, local: str) -> int:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == local:
                    return node.lineno
    return 1
