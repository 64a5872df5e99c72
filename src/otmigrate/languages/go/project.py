"""The Go project model: which packages of each module must stay on their legacy tracing library.

A Go package is migrated whole or not at all, and a module's global tracer is one flow: a tracer set up
in one package is the one `opentracing.GlobalTracer()` returns in every other. The model reads every .go
file of the run once (its package clause, its imports, and — only in files that import a legacy
library — its exported declarations) and keeps a package legacy, with the reason, when migrating it
would break code nobody can rewrite:

- its exported API takes or returns a legacy type (`func TraceServer(tracer opentracing.Tracer)`, an
  exported struct field of type `opentracing.Span`, `options ...jaegercfg.Option`): the package is an
  instrumentation library, and its users' code (outside the run) passes legacy values to it. Its
  maintainers replace such a package (go-grpc-middleware v2 → otelgrpc, echo-contrib →
  echo-opentelemetry) or keep it (go-kit); a rewrite that changes its API breaks every user;
- it hands legacy values to a third-party library that takes them and has no rule (nethttp, otgrpc,
  grpc_opentracing, go-kit's tracing helpers): `otel.Tracer(…)` is no `opentracing.Tracer`;
- it uses another package of the module that stays legacy and whose exported API carries legacy values;
- a package that stays legacy uses or sets up the global tracer: then every package of the module that
  imports a legacy library stays (migrating one half sends its spans to another tracer than the other's),
  unless those packages stay only because of a third-party library and the module's tracer set-up is
  migrated: then the set-up installs the OpenTracing bridge (`bridged`) and the rest is migrated.

Handlers leave a kept package's files unchanged but for one TODO above their imports and a `manual`
report line; their imports and go.mod requirements stay (see manifest.py).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ast_grep_py import SgNode, SgRoot

from otmigrate.config import Settings
from otmigrate.engine import TransformContext
from otmigrate.languages.go.imports import package_name
from otmigrate.languages.go.type_inference import declared_types

LEGACY_IMPORT_PREFIXES = (
    "github.com/opentracing/opentracing-go",
    "github.com/uber/jaeger-client-go",
    "github.com/uber/jaeger-lib",
    "github.com/openzipkin/zipkin-go",
    "github.com/openzipkin-contrib/zipkin-go-opentracing",
)
# Third-party libraries whose API takes legacy tracing values and that no rule migrates.
BOUNDARY_LIBRARIES = {
    "github.com/opentracing-contrib/go-stdlib/nethttp": "nethttp",
    "github.com/opentracing-contrib/go-grpc": "otgrpc",
    "github.com/opentracing-contrib/": "an opentracing-contrib library",
    "github.com/grpc-ecosystem/go-grpc-middleware/tracing/opentracing": "grpc_opentracing",
    "github.com/go-kit/kit/tracing/": "go-kit's tracing helpers",
    "github.com/labstack/echo-contrib/jaegertracing": "echo-contrib jaegertracing",
    "github.com/labstack/echo-contrib/zipkintracing": "echo-contrib zipkintracing",
}
# Uses of the global tracer, or set-ups of a tracer (which then becomes a global or is handed around).
_GLOBAL_FLOW = re.compile(
    r"\b(?:GlobalTracer|SetGlobalTracer|InitGlobalTracer|StartSpanFromContext|NewTracer|SpanFromContext)\("
)
_SETUP = re.compile(r"\b(?:NewTracer|InitGlobalTracer)\(")
_PACKAGE_CLAUSE = re.compile(rb"^package\s+(\w+)", re.M)
_IMPORT_SPEC = re.compile(r'^\s*(?:import\s+)?(?:([\w.]+)\s+)?"([^"]+)"', re.M)
_IMPORT_BLOCKS = re.compile(r"^import\s*\((.*?)^\)|^import\s+[\w.]*\s*\"[^\"]+\"", re.M | re.S)


@dataclass
class _Package:
    folder: str
    module_root: str
    import_path: str
    legacy_files: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)  # every import path of its files
    exported_legacy: list[str] = field(default_factory=list)  # exported names whose types are legacy
    boundary: str | None = None  # the third-party legacy library it hands values to
    global_flow: bool = False
    setup: bool = False  # sets up a jaeger / zipkin tracer
    declared: dict[str, str] = field(default_factory=dict)


@dataclass
class GoProject:
    """Which package folders stay legacy (folder → reason). Picklable."""

    kept: dict[str, str] = field(default_factory=dict)
    # package folder → the libraries its module's tracer set-up bridges OpenTracing code to the SDK for
    bridged: dict[str, list[str]] = field(default_factory=dict)
    # package folder → legacy-typed declarations of its files (type_inference keys: `.Field`, `f()`,
    # `f()#i`, package-level vars), the package written `opentracing` / `zipkin`
    declared: dict[str, dict[str, str]] = field(default_factory=dict)

    def in_scope(self, path: Path) -> bool:
        return False  # a kept or migrated package is found through its legacy imports

    def kept_reason(self, path: str | Path) -> str | None:
        return self.kept.get(str(Path(path).resolve().parent))

    def declared_in_package(self, path: str | Path) -> dict[str, str]:
        """Legacy-typed fields, functions and package-level vars of the package of `path` (all files)."""
        return self.declared.get(str(Path(path).resolve().parent), {})

    def bridge_for(self, path: str | Path) -> list[str]:
        """The libraries (nethttp, otgrpc…) whose kept callers the set-up in `path`'s module bridges."""
        return self.bridged.get(str(Path(path).resolve().parent), [])


def build(paths: list[Path], settings: Settings) -> GoProject:
    packages: dict[str, _Package] = {}
    modules: dict[str, tuple[str, str] | None] = {}
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # rewrite reports the unreadable file itself
        if _PACKAGE_CLAUSE.search(raw) is None:
            continue
        real = path.resolve()
        module = _module_of(real.parent, modules)
        if module is None:
            continue
        root, module_path = module
        folder = str(real.parent)
        relative = real.parent.relative_to(root).as_posix()
        package = packages.setdefault(
            folder,
            _Package(folder, str(root), module_path if relative == "." else f"{module_path}/{relative}"),
        )
        text = raw.decode("utf-8", "replace")
        aliases = _imports(text)
        package.imports |= set(aliases.values())
        legacy = {a for a, p in aliases.items() if p.startswith(LEGACY_IMPORT_PREFIXES)}
        for imported in aliases.values():
            library = _boundary_library(imported, module_path)
            if library is not None:
                package.boundary = package.boundary or library
        if not legacy:
            continue
        package.legacy_files.append(str(real))
        package.global_flow = package.global_flow or bool(_GLOBAL_FLOW.search(text))
        package.setup = package.setup or bool(_SETUP.search(text))
        if not path.name.endswith("_test.go"):
            package.exported_legacy += _exported_legacy_names(text, legacy)
            package.declared.update(_package_level_types(text, aliases, legacy))
    kept, bridged = _kept_packages(packages)
    declared = {f: p.declared for f, p in packages.items() if p.declared and f not in kept}
    return GoProject(kept, bridged, declared)


def _kept_packages(packages: dict[str, _Package]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The kept packages (folder → reason) and the bridged ones (folder → libraries): in a module whose
    global tracer a kept package uses only because it hands values to a legacy library, and whose tracer
    set-up is migrated, the set-up installs the OpenTracing bridge instead of keeping the whole module."""
    kept: dict[str, str] = {}
    at_boundary: set[str] = set()
    for folder, package in packages.items():
        if not package.legacy_files:
            continue
        if package.exported_legacy:
            names = ", ".join(sorted(set(package.exported_legacy))[:3])
            kept[folder] = (
                f"its exported API ({names}) takes or returns legacy tracing types, so code outside this "
                "run depends on them: replace the package with OpenTelemetry instrumentation (or give it a "
                "new major version) by hand"
            )
        elif package.boundary is not None:
            at_boundary.add(folder)
            kept[folder] = (
                f"it hands OpenTracing values to {package.boundary}, which takes no OpenTelemetry tracer "
                "or span: replace that library with its OpenTelemetry counterpart (otelhttp, otelgrpc) first"
            )
    _keep_users(packages, kept)
    bridged: dict[str, list[str]] = {}
    for root in sorted({p.module_root for p in packages.values()}):
        members = [p for p in packages.values() if p.module_root == root and p.legacy_files]
        flow = [p for p in members if p.folder in kept and p.global_flow]
        if not flow:
            continue
        setup_migrated = any(p.setup and p.folder not in kept for p in members)
        if setup_migrated and all(p.folder in at_boundary for p in flow):
            libraries = sorted({str(p.boundary) for p in flow})
            bridged.update({p.folder: libraries for p in members})
            for p in flow:
                kept[p.folder] += (
                    "; until then the module's tracer set-up bridges it to the OpenTelemetry SDK "
                    "(go.opentelemetry.io/otel/bridge/opentracing)"
                )
            continue
        owner = flow[0].import_path
        for p in members:
            kept.setdefault(
                p.folder,
                f"the module's global tracer stays on OpenTracing: package {owner} uses or sets it up and "
                "stays legacy",
            )
    return kept, bridged


def _keep_users(packages: dict[str, _Package], kept: dict[str, str]) -> None:
    """Keep every legacy package that imports a kept package of the module whose exported API carries
    legacy values (a kept package with a clean API, e.g. one wrapping nethttp, hands none across)."""
    by_path = {p.import_path: p for p in packages.values()}
    changed = True
    while changed:
        changed = False
        for folder, package in packages.items():
            if folder in kept or not package.legacy_files:
                continue
            used = [
                by_path[i]
                for i in sorted(package.imports)
                if i in by_path and by_path[i].folder in kept and by_path[i].exported_legacy
            ]
            if used:
                kept[folder] = (
                    f"it uses the legacy-typed API of package {used[0].import_path}, which stays legacy"
                )
                changed = True


def _imports(text: str) -> dict[str, str]:
    """Local name → import path (the path's last element when there is no alias; `_`/`.` kept)."""
    found: dict[str, str] = {}
    for block in _IMPORT_BLOCKS.finditer(text):
        for alias, path in _IMPORT_SPEC.findall(block.group(0)):
            found[alias or package_name(path)] = path
    return found


def _boundary_library(imported: str, module_path: str) -> str | None:
    if imported == module_path or imported.startswith(module_path + "/"):
        return None  # the module's own package: judged as a package of the model
    for prefix, library in BOUNDARY_LIBRARIES.items():
        inside = imported.startswith(prefix) if prefix.endswith("/") else imported.startswith(prefix + "/")
        if imported == prefix or inside:
            return library
    return None


def _exported_legacy_names(text: str, legacy: set[str]) -> list[str]:
    """Exported functions, methods, types and package-level vars whose declared types name a legacy
    package (`func New(t opentracing.Tracer)`, `type Config struct{ Tracer opentracing.Tracer }`)."""
    qualified = re.compile(r"(?<!\w)(?<!\w\.)(?:" + "|".join(map(re.escape, sorted(legacy))) + r")\.[A-Z]")
    root = SgRoot(text, "go").root()
    names = []
    for decl in root.find_all(kind="function_declaration") + root.find_all(kind="method_declaration"):
        name = decl.field("name")
        signature = "".join(
            part.text() for part in (decl.field("parameters"), decl.field("result")) if part is not None
        )
        if name is not None and name.text()[:1].isupper() and qualified.search(signature):
            names.append(name.text())
    for spec in root.find_all(kind="type_spec"):
        name = spec.field("name")
        if name is None or not name.text()[:1].isupper():
            continue
        fields = spec.find_all(kind="field_declaration")
        exported = [f for f in fields if (n := f.field("name")) is None or n.text()[:1].isupper()]
        declared = "".join(f.text() for f in exported) if fields else spec.text()
        if qualified.search(declared):
            names.append(name.text())
    for spec in root.find_all(kind="var_spec"):
        name = spec.field("name")
        kind = spec.field("type")
        if (
            name is not None
            and name.text()[:1].isupper()
            and kind is not None
            and qualified.search(kind.text())
        ):
            names.append(name.text())
    return names


def _package_level_types(text: str, aliases: dict[str, str], legacy: set[str]) -> dict[str, str]:
    """What other files of the package can see of this one: struct fields, function results and
    package-level vars whose types name a legacy package, with the package written by its usual name."""
    usual = {alias: package_name(aliases[alias]) for alias in legacy}
    qualified = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(legacy))) + r")\.")
    root = SgRoot(text, "go").root()
    local = {n.text() for f in root.find_all(kind="function_declaration") for n in _locals(f)}
    out = {}
    for key, typ in declared_types(root).items():
        top_level = key.startswith(".") or key.endswith(")") or "()#" in key or key not in local
        if top_level and qualified.search(typ):
            out[key] = qualified.sub(lambda m: usual[m.group(1)] + ".", typ)
    return out


def _locals(function: SgNode) -> list[SgNode]:
    """The names a function declares (parameters, vars, `:=`): not visible to other files."""
    return [
        n
        for n in function.find_all(kind="identifier")
        if n.parent() is not None
        and n.parent().kind() in ("parameter_declaration", "var_spec", "expression_list", "const_spec")
    ]


def _module_of(folder: Path, cache: dict[str, tuple[str, str] | None]) -> tuple[Path, str] | None:
    """The nearest go.mod at or above `folder`: its folder and module path."""
    walked = []
    found: tuple[str, str] | None = None
    for candidate in (folder, *folder.parents):
        key = str(candidate)
        if key in cache:
            found = cache[key]
            break
        walked.append(key)
        go_mod = candidate / "go.mod"
        if go_mod.is_file():
            match = re.search(r"^module\s+(\S+)", go_mod.read_text("utf-8", "replace"), re.M)
            found = (key, match.group(1).strip('"')) if match else None
            break
    for key in walked:
        cache[key] = found
    return (Path(found[0]), found[1]) if found else None


def keep_legacy(ctx: TransformContext, reason: str) -> str | None:
    """A file of a package that stays legacy: one TODO above its imports (reported when written), no
    other change."""
    todo = "\n".join(
        textwrap.wrap(
            f"TODO(otmigrate): this package stays on its legacy tracing library: {reason}",
            width=100,
            initial_indent="// ",
            subsequent_indent="// ",
            break_on_hyphens=False,
        )
    )
    if todo in ctx.source:
        return None
    anchor = ctx.root.find(kind="import_declaration")
    if anchor is None:
        return None  # no import, no legacy use
    line = anchor.range().start.line
    lines = ctx.source.splitlines(keepends=True)
    rule = ctx.rules[0] if ctx.rules else "go-opentracing-types"
    ctx.manual(line + 1, rule, f"package kept legacy: {reason}")
    if "bridges it" in reason:
        for library in ctx.project.bridge_for(ctx.path):
            ctx.bridged(line + 1, rule, library)
    return "".join([*lines[:line], todo + "\n", *lines[line:]])
