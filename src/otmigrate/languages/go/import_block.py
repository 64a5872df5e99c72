"""The final pass for Go: rebuild the import block after a migration.

Legacy tracing imports the file no longer uses go; the OTel packages (and `context`, `fmt`) the new code
uses come, in gofmt's grouping (standard library, then the rest). When a local identifier has a new
package's name (`trace := ...`, `func trace()`) or another import has it (grpc's `codes`, `runtime/trace`),
the import gets an alias (`otelcodes`) and the new code's qualified names follow it.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.go.imports import package_name

LEGACY_PREFIXES = ("github.com/opentracing/", "github.com/uber/jaeger-client-go", "github.com/openzipkin/")
# The name migrated code uses → (import path, alias). Other Go transforms add their packages here.
OTEL_PACKAGES: dict[str, tuple[str, str | None]] = {
    "otel": ("go.opentelemetry.io/otel", None),
    "trace": ("go.opentelemetry.io/otel/trace", None),
    "attribute": ("go.opentelemetry.io/otel/attribute", None),
    "codes": ("go.opentelemetry.io/otel/codes", None),
    "propagation": ("go.opentelemetry.io/otel/propagation", None),
    "baggage": ("go.opentelemetry.io/otel/baggage", None),
    "noop": ("go.opentelemetry.io/otel/trace/noop", None),
    "semconv": ("go.opentelemetry.io/otel/semconv/v1.43.0", "semconv"),
    "sdktrace": ("go.opentelemetry.io/otel/sdk/trace", "sdktrace"),
    "resource": ("go.opentelemetry.io/otel/sdk/resource", None),
    "otlptracehttp": ("go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp", None),
    "otbridge": ("go.opentelemetry.io/otel/bridge/opentracing", "otbridge"),
}
STANDARD = {"context": "context", "fmt": "fmt", "strconv": "strconv"}
_DECLARING_PARENTS = (
    "expression_list",
    "parameter_declaration",
    "var_spec",
    "const_spec",
    "range_clause",
    "function_declaration",  # its name; a type_spec's name is a type_identifier
)


def fix_imports(ctx: TransformContext) -> str | None:
    decl = ctx.root.find(kind="import_declaration")
    if decl is None:
        return None
    head, body = ctx.source[: decl.range().start.index], ctx.source[decl.range().end.index :]
    used = _qualifiers(ctx.root)
    specs = []
    for s in decl.find_all(kind="import_spec"):
        name = s.field("name")
        specs.append((name.text() if name else None, s.field("path").text().strip('"')))
    keep = [(a, p) for a, p in specs if not p.startswith(LEGACY_PREFIXES) or (a or package_name(p)) in used]
    local_names = {
        n.text()
        for n in ctx.root.find_all(kind="identifier")
        if n.parent() and n.parent().kind() in _DECLARING_PARENTS
    } | {s.field("name").text() for s in ctx.root.find_all(kind="type_spec")}
    for short, (path, alias) in OTEL_PACKAGES.items():
        imported = next((a or package_name(p) for a, p in keep if p == path), None)
        # `short` already means something else: a local, or another import (grpc's `codes`)
        taken = short in local_names or any((a or package_name(p)) == short for a, p in keep if p != path)
        if imported is None and taken:
            imported, alias = f"otel{short}", f"otel{short}"
        if imported is not None and imported != short and short in used:
            requalified = _requalify(body, short, imported, only_members=taken)
            if requalified != body:
                body = requalified
                used.add(imported)
        if (imported or short) in used and not any(p == path for _, p in keep):
            keep.append((alias, path))
    for name, path in STANDARD.items():
        # `context` may be golang.org/x/net/context: any import of that name provides it
        if name in used and not any((a or package_name(p)) == name for a, p in keep):
            keep.append((None, path))
    if keep == specs and body == ctx.source[decl.range().end.index :]:
        return None
    block = decl.text()
    if block.startswith("import (") and block.endswith(")"):
        # OTel imports other handlers appended go where this pass puts new ones (sorted, grouped)
        placed = [s for s in keep if s in specs and _is_otel(s[1])]
        dropped = [s for s in specs if s not in keep] + placed
        rendered = _edit_block(block, dropped, [s for s in keep if s not in specs] + placed)
    else:
        rendered = _render(keep)
    new = head + rendered + body
    return new if new != ctx.source else None


def _edit_block(
    block: str, dropped: list[tuple[str | None, str]], added: list[tuple[str | None, str]]
) -> str:
    """The parenthesised import block with `dropped` specs' lines removed and `added` ones inserted where
    the file would put them, keeping the file's own groups (standard library / third-party / local) and
    comments: a standard package goes into the standard group; an OTel package next to the other OTel
    imports, else into the group the legacy tracing imports were in, else the first third-party group."""
    lines = block.split("\n")[1:-1]
    added, dropped = list(added), list(dropped)
    # a standard import another handler appended to a third-party group goes to the standard group
    everything = [(line, _spec_path(line)) for line in lines]
    for group in _groups(everything):
        if not _is_standard(group, everything):
            for i in group:
                line, path = everything[i]
                if path is not None and "." not in path.split("/")[0] and path not in {p for _, p in added}:
                    added.append((_spec_alias(line), path))
                    dropped.append((None, path))
    gone = {path for _, path in dropped}
    kept: list[tuple[str, str | None]] = []
    home = None  # where the first legacy tracing import was, among the kept lines
    for line in lines:
        path = _spec_path(line)
        if path in gone:
            home = len(kept) if home is None and path.startswith(LEGACY_PREFIXES) else home
        else:
            kept.append((line, path))
    # third-party first: a standard import inserted above would move `home`
    for alias, path in sorted(added, key=lambda spec: ("." not in spec[1].split("/")[0], spec[1])):
        groups = _groups(kept)
        standard = "." not in path.split("/")[0]
        if standard:
            target = next((g for g in groups if _is_standard(g, kept)), None)
        else:
            third_party = [g for g in groups if not _is_standard(g, kept)]
            target = next((g for g in third_party if any(_is_otel(kept[i][1]) for i in g)), None)
            if target is None and home is not None:
                target = next((g for g in third_party if g[0] - 1 <= home <= g[-1] + 1), None)
            if target is None and third_party:
                target = third_party[0]
        line = f'\t{alias + " " if alias else ""}"{path}"'
        if target is None:
            at = 0 if standard else len(kept)
            blank = [("", None)] if kept else []
            kept[at:at] = [(line, path), *blank] if standard else [*blank, (line, path)]
            continue
        at = next((i for i in target if kept[i][1] is not None and kept[i][1] > path), target[-1] + 1)
        kept.insert(at, (line, path))
    text = _sorted_runs(kept)
    while text and not text[0].strip():
        text.pop(0)
    while text and not text[-1].strip():
        text.pop()
    joined = re.sub(r"\n(?:[ \t]*\n)+", "\n\n", "\n".join(text))
    if "\n" not in joined and _spec_path(joined) is not None and "//" not in joined:
        return "import " + joined.strip()
    return "import (\n" + joined + "\n)" if joined else "import ()"


def _sorted_runs(kept: list[tuple[str, str | None]]) -> list[str]:
    """The lines with each run of consecutive import specs sorted by path, as gofmt sorts them (other
    handlers append the packages they need at the end of the block)."""
    out: list[str] = []
    run: list[tuple[str, str]] = []
    for line, path in [*kept, ("", None)]:
        if path is not None:
            run.append((line, path))
            continue
        out += [spec for spec, _ in sorted(run, key=lambda item: item[1])]
        run = []
        out.append(line)
    return out[:-1]


def _spec_alias(line: str) -> str | None:
    match = re.match(r'\s*([\w.]+)\s+"', line)
    return match.group(1) if match else None


def _spec_path(line: str) -> str | None:
    match = re.match(r'\s*(?:[\w.]+\s+)?"([^"]+)"', line)
    return match.group(1) if match else None


def _is_otel(path: str | None) -> bool:
    return path is not None and path.startswith("go.opentelemetry.io/")


def _groups(kept: list[tuple[str, str | None]]) -> list[list[int]]:
    """Index runs of import lines separated by blank lines (comment lines belong to their run)."""
    groups: list[list[int]] = [[]]
    for i, (line, _) in enumerate(kept):
        if not line.strip():
            groups.append([])
        else:
            groups[-1].append(i)
    return [g for g in groups if any(kept[i][1] for i in g)]


def _is_standard(group: list[int], kept: list[tuple[str, str | None]]) -> bool:
    return all("." not in path.split("/")[0] for i in group if (path := kept[i][1]))


def _qualifiers(root: SgNode) -> set[str]:
    """The names the code qualifies with (`x` in `x.Y` and `x.T`): the packages it uses. From the syntax
    tree, so a comment or a string that says "trace." uses nothing."""
    names = {n.field("operand").text() for n in root.find_all(kind="selector_expression")}
    names |= {n.field("package").text() for n in root.find_all(kind="qualified_type")}
    return names


def _requalify(body: str, short: str, alias: str, *, only_members: bool) -> str:
    """`trace.X` → `oteltrace.X`. When `trace` also names a local or another import, only for names the
    OTel package declares and the migrated code uses (a local slice has no members; grpc's `codes` has
    `OK`, not `Ok`, and no `Error`)."""
    members = "|".join(OTEL_MEMBERS.get(short, ("$^",))) if only_members else "[A-Z]\\w*"
    return re.sub(rf"(?<![\w.]){short}\.(?=(?:{members})\b)", f"{alias}.", body)


OTEL_MEMBERS = {
    "trace": (
        "Span",
        "SpanContext",
        "Tracer",
        "Link",
        "WithAttributes",
        "WithSpanKind",
        r"SpanKind\w*",
        "WithLinks",
        "WithTimestamp",
        "WithNewRoot",
        "ContextWithSpan",
        "ContextWithSpanContext",
        "SpanFromContext",
        "SpanContextFromContext",
    ),
    "attribute": ("String", "Int", "Int64", "Float64", "Bool", r"\w+Slice", "KeyValue", "Key"),
    "codes": ("Error", "Ok", "Unset"),
    "otel": ("Tracer", "GetTextMapPropagator", "SetTracerProvider", "SetTextMapPropagator"),
    "baggage": ("NewMemberRaw", "FromContext", "ContextWithBaggage"),
    "propagation": ("HeaderCarrier", "MapCarrier", "TraceContext", "Baggage", r"NewComposite\w+"),
    # the constructors ot_tags.py, zipkin_calls.py and the set-up code write (an older semconv version
    # imported next to it keeps its own names)
    "semconv": (
        "SchemaURL",
        "ServiceName",
        "ServicePeerName",
        r"HTTP(?:RequestMethodKey|ResponseStatusCode|Route|RequestBodySize|ResponseBodySize)",
        "URLFull",
        "URLPath",
        "NetworkPeerAddress",
        r"DB(?:QueryText|Namespace|SystemNameKey)",
        "MessagingDestinationName",
        r"(?:Client|Server)(?:Address|Port)",
        "RPCResponseStatusCode",
    ),
}


def _render(specs: list[tuple[str | None, str]]) -> str:
    """An import declaration as gofmt writes it: standard library first, a blank line, the rest."""

    def line(spec: tuple[str | None, str]) -> str:
        alias, path = spec
        return f'{alias + " " if alias else ""}"{path}"'

    if len(specs) == 1:
        return "import " + line(specs[0])
    std = sorted((s for s in specs if "." not in s[1].split("/")[0]), key=lambda s: s[1])
    other = sorted((s for s in specs if "." in s[1].split("/")[0]), key=lambda s: s[1])
    groups = ["\n".join(f"\t{line(s)}" for s in group) for group in (std, other) if group]
    return "import (\n" + "\n\n".join(groups) + "\n)"
