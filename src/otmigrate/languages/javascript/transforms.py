"""JavaScript transforms that a rule pattern cannot express.

FINAL_PASSES manage imports in the file's own module style: the `@opentelemetry/api` names the applied
rules need are added (merged into an existing import of the package), and a legacy import or `require`
whose bound names are no longer referenced is removed.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.engine import Handler, TransformContext
from otmigrate.languages import LIBRARIES
from otmigrate.languages.javascript.jaeger_setup import migrate_jaeger
from otmigrate.languages.javascript.opentracing_calls import migrate_opentracing
from otmigrate.languages.javascript.zipkin_setup import migrate_zipkin_setup
from otmigrate.languages.javascript.zipkin_spans import migrate_zipkin_spans

API = "@opentelemetry/api"
_IMPORT_KINDS = ("import_statement", "lexical_declaration", "variable_declaration")


def _needed_names(ctx: TransformContext, module: str) -> list[str]:
    names = []
    for spec in ctx.imports_needed:
        mod, _, name = spec.partition(":")
        if mod == module and name and name not in names:
            names.append(name)
    return names


def _statement(node: SgNode) -> SgNode | None:
    """The top-level statement holding an import or require call."""
    while node is not None and node.parent() is not None and node.parent().kind() != "program":
        node = node.parent()
    return node


def _legacy_statements(root: SgNode) -> list[tuple[SgNode, list[str]]]:
    """(statement, names it binds) for every top-level import/require of a legacy package."""
    from otmigrate.languages.javascript.imports import library_of

    found = []
    for stmt in root.children():
        text = stmt.text()
        module = re.search(r"""(?:from\s*|require\(\s*)['"]([^'"]+)['"]""", text)
        if not module or stmt.kind() not in _IMPORT_KINDS:
            continue
        library = library_of(module.group(1))
        if library not in LIBRARIES:
            continue  # OTel, OpenCensus (detected, never rewritten) or not tracing at all
        if stmt.kind() == "import_statement":
            clause = text.split("from")[0]
            names = re.findall(r"[A-Za-z_$][\w$]*", re.sub(r"\b(import|as)\b|\w+\s*:", " ", clause))
        else:
            names = _declared(stmt)
        found.append((stmt, names))
    return found


def _declared(declaration: SgNode) -> list[str]:
    """Every name a `const/let/var` statement binds, in all its declarators: Babel's output
    `var _require = require('zipkin'), Some = _require.Some` binds `Some` too."""
    names = []
    for declarator in (c for c in declaration.children() if c.kind() == "variable_declarator"):
        pattern = declarator.field("name")
        if pattern is not None:
            found = pattern.find_all(kind="identifier") + pattern.find_all(
                kind="shorthand_property_identifier_pattern"
            )
            names += [pattern.text()] if pattern.kind() == "identifier" else [n.text() for n in found]
    return names


def _api_import(root: SgNode) -> SgNode | None:
    for stmt in root.children():
        if f"'{API}'" in stmt.text() or f'"{API}"' in stmt.text():
            return stmt
    return None


def _referenced(root: SgNode, outside: SgNode | None = None) -> set[str]:
    """The identifiers the code uses (strings and comments do not count), outside one statement."""
    skip = outside.range() if outside is not None else None
    names = set()
    for kind in ("identifier", "shorthand_property_identifier"):
        for node in root.find_all(kind=kind):
            r = node.range()
            if skip is None or not skip.start.index <= r.start.index < skip.end.index:
                names.add(node.text())
    return names


def _render(names: list[str], esm: bool) -> str:
    listed = ", ".join(sorted(set(names)))
    if esm:
        return f"import {{ {listed} }} from '{API}';"
    return f"const {{ {listed} }} = require('{API}');"


def manage_imports(ctx: TransformContext) -> str | None:
    """Add the OTel API names the rewrite uses; drop legacy imports nothing references any more."""
    root, source = ctx.root, ctx.source
    esm = any(s.kind() == "import_statement" for s in root.children())
    used = _referenced(root)
    wanted = [n for n in _needed_names(ctx, API) if n in used]
    edits: list[tuple[int, int, str]] = []
    existing = _api_import(root)
    legacy = _legacy_statements(root)
    removable = [stmt for stmt, names in legacy if not set(names) & _referenced(root, outside=stmt)]
    if existing is not None:
        have = re.findall(r"[A-Za-z_$][\w$]*", existing.text().split("from")[0].split("=")[0])
        have = [h for h in have if h not in ("import", "const", "let", "var")]
        if set(wanted) - set(have):
            r = existing.range()
            edits.append((r.start.index, r.end.index, _render(have + wanted, esm)))
    elif wanted:
        if removable:  # the first dropped legacy import makes room for the new one
            r = removable.pop(0).range()
            edits.append((r.start.index, r.end.index, _render(wanted, esm)))
        elif legacy:
            end = legacy[0][0].range().end.index
            edits.append((end, end, "\n" + _render(wanted, esm)))
        else:
            edits.append((0, 0, _render(wanted, esm) + "\n"))
    for stmt in removable:
        r = stmt.range()
        end = r.end.index + (1 if source[r.end.index : r.end.index + 1] == "\n" else 0)
        edits.append((r.start.index, end, ""))
    if not edits:
        return None
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out


HANDLERS: dict[str, Handler] = {
    "js-jaeger-setup": migrate_jaeger,
    "js-zipkin-setup": migrate_zipkin_setup,
    "js-zipkin-spans": migrate_zipkin_spans,
    "js-opentracing": migrate_opentracing,
}
FINAL_PASSES: list[Handler] = [manage_imports]
