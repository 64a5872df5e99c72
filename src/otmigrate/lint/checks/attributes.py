"""Attributes: OTM401 value of a type the SDK drops, OTM402 empty key, OTM403 deprecated semconv key
(safe fix), OTM406 sensitive value, OTM408 key built at run time."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Fix, Rule
from otmigrate.lint.semconv import TABLE_VERSION, deprecated
from otmigrate.lint.syntax import (
    CALL,
    call_args,
    call_name,
    dynamic_string,
    kwarg,
    named,
    string_value,
    words,
)

_PAIR_METHODS = {  # method -> is it the OpenTelemetry API (legacy tag keys are not semconv keys)
    "python": {"set_attribute": True, "set_tag": False},
    "javascript": {"setAttribute": True, "setTag": False, "recordBinary": False},
    "go": {"SetTag": False, "Tag": False},
}
_MAP_METHODS = {
    "python": ("set_attributes", "add_event"),
    "javascript": ("setAttributes", "addEvent"),
    "go": (),
}
_GO_ATTR = re.compile(
    r"^(String|Int|Int64|Float64|Bool|StringSlice|IntSlice|Int64Slice|Float64Slice|BoolSlice|"
    r"Stringer|Key)$"
)


def attribute_pairs(ctx: FileContext) -> Iterator[tuple[SgNode, SgNode | None, bool]]:
    """(key node, value node or None, is-OpenTelemetry-API) for every attribute the file sets."""
    lang = ctx.language
    pair_methods = _PAIR_METHODS[lang]
    for call in ctx.root.find_all(kind=CALL[lang]):
        recv, name = call_name(call)
        args = call_args(call)
        if name in pair_methods and recv is not None and args:
            yield args[0], args[1] if len(args) > 1 else None, pair_methods[name]
        elif (
            lang == "go" and recv is not None and recv.text() == "attribute" and _GO_ATTR.match(name) and args
        ):
            yield args[0], args[1] if len(args) > 1 else None, True
        elif name in _MAP_METHODS[lang] and args:
            mapping = args[-1] if name in ("add_event", "addEvent") else args[0]
            yield from _map_pairs(mapping)
        if lang != "go":
            attrs = kwarg(call, "attributes")
            if attrs is not None:
                yield from _map_pairs(attrs)


def _map_pairs(node: SgNode) -> Iterator[tuple[SgNode, SgNode | None, bool]]:
    if node.kind() in ("dictionary", "object"):
        for pair in named(node):
            if pair.kind() == "pair" and pair.field("key") is not None:
                yield pair.field("key"), pair.field("value"), True


def _key_text(key: SgNode) -> str | None:
    if key.kind() in ("property_identifier",):
        return key.text()
    return string_value(key)


def check_attributes(ctx: FileContext) -> None:
    table = deprecated()
    lang = ctx.language
    for key, value, otel in attribute_pairs(ctx):
        text = _key_text(key)
        if text == "":
            ctx.report(
                "OTM402",
                key,
                "empty attribute key: the specification requires a non-empty string key, and "
                "SDKs drop the attribute",
            )
        elif text is None and key.kind() in ("integer", "float", "true", "false", "none", "number", "null"):
            ctx.report(
                "OTM402", key, f"attribute key `{key.text()}` is not a string: SDKs drop the attribute"
            )
        elif text is None:
            dyn = dynamic_string(key, lang)
            if dyn is not None and not any(dyn[0].startswith(p) for p in ctx.options.allowed_key_prefixes):
                ctx.report(
                    "OTM408",
                    key,
                    "attribute key built at run time: every distinct value is a new key, "
                    "past 128 keys the SDK drops them, and queries cannot find them; use a fixed key and put "
                    "the variable part in the value",
                )
        elif otel and text in table:
            entry = table[text]
            if entry.get("reason") == "renamed" and entry.get("renamed_to"):
                new = entry["renamed_to"]
                start, end = key.range().start.index, key.range().end.index
                quoted = key.text()
                # the literal's own prefix and quotes stay (u"...", '...', `...`); an object key
                # written as a bare identifier cannot hold a dotted name, so it gets no fix
                fix = (
                    Fix(start, end, quoted.replace(text, new, 1))
                    if key.kind() != "property_identifier"
                    else None
                )
                ctx.report(
                    "OTM403",
                    key,
                    f"`{text}` is deprecated in semantic conventions {TABLE_VERSION}: renamed to `{new}`",
                    fix=fix,
                )
            else:
                note = entry.get("note") or entry.get("reason", "deprecated")
                ctx.report(
                    "OTM403", key, f"`{text}` is deprecated in semantic conventions {TABLE_VERSION}: {note}"
                )
        if value is not None and otel and lang != "go":
            _check_value(ctx, key, value)
        if value is not None:
            _check_sensitive(ctx, text, value)


_BAD_PY = {
    "dictionary": "a dict",
    "set": "a set",
    "none": "None",
    "dictionary_comprehension": "a dict",
    "set_comprehension": "a set",
}
_BAD_JS = {"object": "an object", "null": "null", "undefined": "undefined", "regex": "a RegExp"}


def _check_value(ctx: FileContext, key: SgNode, value: SgNode) -> None:
    kinds = _BAD_PY if ctx.language == "python" else _BAD_JS
    what = kinds.get(value.kind())
    if value.kind() == "identifier" and value.text() == "undefined":
        what = "undefined"
    if (
        value.kind() == "new_expression"
        and value.field("constructor") is not None
        and value.field("constructor").text() in ("Date", "Error", "Map", "Set")
    ):
        what = f"a {value.field('constructor').text()}"
    if value.kind() in ("list", "tuple", "array"):
        elems = named(value)
        types = {_literal_type(e) for e in elems}
        if any(t == "nested" for t in types):
            what = "a nested array"
        elif None not in types and len(types) > 1:
            what = f"an array mixing {' and '.join(sorted(types))}"
    if what:
        ctx.report(
            "OTM401",
            value,
            f"attribute value is {what}: OpenTelemetry attribute values are strings, "
            "booleans, numbers or homogeneous arrays of them; the Python (≤ 1.44) and JavaScript SDKs drop "
            "this value with only a warning",
        )


def _literal_type(node: SgNode) -> str | None:
    k = node.kind()
    if k in ("string", "template_string"):
        return "strings"
    if k in ("integer", "float", "number"):
        return "numbers"
    if k in ("true", "false"):
        return "booleans"
    if k in ("list", "tuple", "array", "dictionary", "object"):
        return "nested"
    return None  # unknown (a variable): cannot judge


_SENSITIVE = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "apikey",
    "ssn",
    "email",
    "cvv",
    "creditcard",
    "cardnumber",
}
_SAFE_WORDS = {
    "count",
    "len",
    "length",
    "hash",
    "hashed",
    "sha256",
    "digest",
    "pseudo",
    "id",
    "type",
    "kind",
    "tokens",
    "size",
    "present",
    "expires",
    "expiry",
    "ttl",
}
_BODY = re.compile(r"\b(request|req|r)\.(body|Body|data|json|get_json|form)\b")


def _check_sensitive(ctx: FileContext, key: str | None, value: SgNode) -> None:
    text = value.text()
    if _BODY.search(text):
        ctx.report(
            "OTM406",
            value,
            "request body recorded in a span attribute: bodies carry personal data and "
            "credentials; record a size or a summary instead",
        )
        return
    if value.kind() in ("string", "integer", "float", "number", "true", "false"):
        return
    idents = [
        n.text()
        for n in (
            [value]
            if value.kind() == "identifier"
            else value.find_all(kind="identifier")
            if value.kind() in ("attribute", "member_expression", "selector_expression", "subscript")
            else []
        )
    ]
    key_words = set(words(key or ""))
    for ident in idents[-1:]:
        w = words(ident)
        joined = {"".join(w[i : i + 2]) for i in range(len(w))} | set(w)
        if joined & _SENSITIVE and not (set(w) | key_words) & _SAFE_WORDS:
            ctx.report(
                "OTM406",
                value,
                f"`{text}` looks like a credential or personal data: spans are exported "
                "and stored in clear; hash or drop it",
            )
            return
    if key and {"authorization", "cookie", "password"} & key_words and "hash" not in key_words:
        ctx.report(
            "OTM406", value, f"`{key}` holds credentials: spans are exported and stored in clear; drop it"
        )


def check_deprecated_constants(ctx: FileContext) -> None:
    """Deprecated semconv constants: Python `SpanAttributes.*` (since 1.25.0), JS `SEMATTRS_*`."""
    if ctx.language == "python" and "SpanAttributes" in ctx.text:
        for node in ctx.root.find_all(kind="attribute", regex=r"^SpanAttributes\."):
            ctx.report(
                "OTM403",
                node,
                f"`{node.text()}` comes from `opentelemetry.semconv.trace`, deprecated since "
                "1.25.0; use `opentelemetry.semconv.attributes` (stable) or the `_incubating` module",
            )
    if ctx.language == "javascript" and "SEMATTRS_" in ctx.text:
        for node in ctx.root.find_all(kind="identifier", regex=r"^SEMATTRS_"):
            parent = node.parent()
            if parent is not None and parent.kind() in (
                "import_specifier",
                "shorthand_property_identifier_pattern",
            ):
                continue
            ctx.report(
                "OTM403",
                node,
                f"`{node.text()}` is deprecated in @opentelemetry/semantic-conventions; use "
                "the matching `ATTR_*` constant",
            )


RULES = (
    Rule(
        code="OTM401",
        name="attribute-value-dropped",
        languages=("python", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="An attribute value is of a type the SDK drops (dict/object, None/null, set, mixed or "
        "nested array).",
        why="Attribute values must be primitives or homogeneous arrays of them in the SDKs most people run: "
        "opentelemetry-python up to 1.44 and the JavaScript SDK drop anything else with only a warning, so "
        "the data silently never arrives. (Spec 1.53 allows maps; Python after 1.44 accepts them.) Values "
        "whose type is not visible in the source (variables) are not reported.",
        fix="Flatten the value into several keys with primitive values, or serialise it deliberately.",
        examples=(
            Example(
                "python",
                "positive: dict, None, mixed list",
                """
span.set_attribute("order", {"id": 1})  # want: OTM401
span.set_attribute("user", None)  # want: OTM401
span.set_attribute("mix", [1, "a"])  # want: OTM401
""",
            ),
            Example(
                "python",
                "negative: primitives and homogeneous lists",
                """
span.set_attribute("order.id", 1)
span.set_attribute("tags", ["a", "b"])
span.set_attribute("payload", payload)
""",
            ),
            Example(
                "javascript",
                "positive: object, null, Date",
                """
span.setAttribute("order", { id: 1 }); // want: OTM401
span.setAttribute("user", null); // want: OTM401
span.setAttributes({ when: new Date() }); // want: OTM401
""",
            ),
            Example(
                "javascript",
                "trap: variables are not judged",
                """
span.setAttribute("order.id", order.id);
""",
            ),
        ),
    ),
    Rule(
        code="OTM402",
        name="attribute-key-invalid",
        languages=("python", "go", "javascript"),
        severity="error",
        precision="high",
        profile="pre-commit",
        summary="An attribute key is empty or not a string.",
        why="The specification requires a non-null, non-empty string key; SDKs drop such attributes.",
        fix="Use a namespaced, lower-case key such as `app.order.id`.",
        examples=(
            Example(
                "go",
                "positive: empty key",
                """
func f(span trace.Span) {
	span.SetAttributes(attribute.String("", "v")) // want: OTM402
}
""",
            ),
            Example(
                "python",
                "positive: empty and non-string keys",
                """
span.set_attribute("", 1)  # want: OTM402
span.set_attributes({1: "one"})  # want: OTM402
""",
            ),
            Example(
                "javascript",
                "negative: normal key",
                """
span.setAttribute("app.order.id", 1);
""",
            ),
        ),
    ),
    Rule(
        code="OTM403",
        name="deprecated-semconv-attribute",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        fixable=True,
        summary="A deprecated semantic-convention attribute key (or constant) is used.",
        why=f"The key is deprecated in the semantic-conventions registry (table vendored at "
        f"v{TABLE_VERSION}, "
        "207 keys). Backends and dashboards built on current conventions will not find it. Keys of the "
        "legacy tag APIs (`set_tag`, `SetTag`) are not reported: the migration maps those.",
        fix="Use the renamed key: `otmigrate lint --fix` rewrites it where the registry says `renamed` "
        "(string literal keys; files are written atomically). If dashboards still need the old name, emit "
        "both during the transition (`OTEL_SEMCONV_STABILITY_OPT_IN=http/dup`) and suppress with a reason.",
        examples=(
            Example(
                "python",
                "positive: renamed and obsoleted keys",
                """
span.set_attribute("http.method", "GET")  # want: OTM403
span.set_attribute("http.target", "/x")  # want: OTM403
""",
            ),
            Example(
                "go",
                "positive: renamed key",
                """
func f(span trace.Span) {
	span.SetAttributes(attribute.String("db.statement", q)) // want: OTM403
}
""",
            ),
            Example(
                "javascript",
                "positive: object key and SEMATTRS constant",
                """
span.setAttributes({ "peer.service": "db" }); // want: OTM403
span.setAttribute(SEMATTRS_HTTP_METHOD, "GET"); // want: OTM403
""",
            ),
            Example(
                "python",
                "trap: legacy set_tag keys are the migration's business",
                """
span.set_tag("http.method", "GET")
span.set_attribute("http.request.method", "GET")
""",
            ),
        ),
    ),
    Rule(
        code="OTM406",
        name="sensitive-attribute",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="medium",
        profile="recommended",
        summary="A span attribute records a request body, a credential or personal data.",
        why="Spans are exported to third-party backends and kept in clear. Semantic conventions say "
        "`url.full` MUST NOT contain credentials and request bodies MUST NOT be captured by default.",
        fix="Record a hash, a length or a pseudonymous id instead, or drop the attribute.",
        examples=(
            Example(
                "python",
                "positive: body and password",
                """
span.set_attribute("request.payload", request.json)  # want: OTM406
span.set_attribute("user.password", password)  # want: OTM406
span.set_attribute("auth", user.token)  # want: OTM406
""",
            ),
            Example(
                "python",
                "trap: hashed or counted values",
                """
span.set_attribute("user.email_hash", email_hash)
span.set_attribute("gen_ai.usage.input_tokens", tokens)
span.set_attribute("token.count", token_count)
""",
            ),
            Example(
                "javascript",
                "positive: request body",
                """
span.setAttribute("body", req.body); // want: OTM406
""",
            ),
            Example(
                "go",
                "positive: password and body",
                """
func f(span trace.Span, r *http.Request, password string) {
	span.SetAttributes(attribute.String("user.password", password)) // want: OTM406
	span.SetTag("body", r.Body) // want: OTM406
	span.SetAttributes(attribute.Int("user.id", id))
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM408",
        name="dynamic-attribute-key",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="An attribute key is built at run time (f-string, template, concatenation, Sprintf).",
        why="Every distinct value becomes a new key: the key set is unbounded, past "
        "`AttributeCountLimit` (128) "
        "the SDK drops attributes, and no query can find them. Template attributes such as "
        "`http.request.header.<name>` are allowed.",
        fix="Use a fixed key and put the variable part in the value, or an array value.",
        examples=(
            Example(
                "python",
                "positive: f-string key (legacy API too)",
                """
for i, item in enumerate(items):
    span.set_tag(f"order.item.{i}.sku", item)  # want: OTM408
""",
            ),
            Example(
                "go",
                "positive: concatenated key",
                """
func f(span opentracing.Span, name string, price int) {
	span.SetTag("item."+name+".price", price) // want: OTM408
}
""",
            ),
            Example(
                "javascript",
                "positive: template key",
                """
items.forEach((item, i) => span.setAttribute(`job.item.${i}.sku`, item.sku)); // want: OTM408
""",
            ),
            Example(
                "python",
                "trap: template attribute prefix",
                """
span.set_attribute("http.request.header." + name.lower(), value)
""",
            ),
        ),
    ),
)

CHECKS = (
    (("OTM401", "OTM402", "OTM403", "OTM406", "OTM408"), ("python", "go", "javascript"), check_attributes),
    (("OTM403",), ("python", "javascript"), check_deprecated_constants),
)
