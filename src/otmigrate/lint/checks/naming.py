"""Span names: OTM501 name built from high-cardinality data (request paths, ids)."""

from __future__ import annotations

import re

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.syntax import CALL, call_args, call_name, dynamic_string, kwarg, words

# method -> index of the name argument
NAMING_CALLS = {
    "python": {
        "start_span": 0,
        "start_as_current_span": 0,
        "start_active_span": 0,
        "update_name": 0,
        "set_operation_name": 0,
    },
    "go": {"Start": 1, "StartSpan": 0, "StartSpanFromContext": 1, "SetName": 0, "SetOperationName": 0},
    "javascript": {
        "startSpan": 0,
        "startActiveSpan": 0,
        "updateName": 0,
        "setOperationName": 0,
        "recordRpc": 0,
    },
}
_URL = re.compile(
    r"(?i)(\.|^)(path|url|originalurl|requesturi|full_path|pathname|uri|href|query_string)\b|"
    r"\.URL\."
)
_ROUTE = re.compile(r"url_rule|\.route\b|Pattern|GetPathTemplate|\.rule\b|__name__|__qualname__|method")
_ID_WORDS = {"id", "uuid", "email", "user", "key", "token", "sql", "query", "guid"}


def check_names(ctx: FileContext) -> None:
    table = NAMING_CALLS[ctx.language]
    pattern = "|".join(table)
    for call in ctx.root.find_all(kind=CALL[ctx.language], regex=rf"\b({pattern})\s*\("):
        recv, method = call_name(call)
        if method not in table or recv is None:
            continue
        args = call_args(call)
        name = (
            args[table[method]]
            if table[method] < len(args)
            else (kwarg(call, "name") if ctx.language == "python" else None)
        )
        dyn = dynamic_string(name, ctx.language) if name is not None else None
        if dyn is None:
            continue
        for expr in dyn[1]:
            text = expr.text()
            if _ROUTE.search(text):
                continue
            if _URL.search(text):
                ctx.report(
                    "OTM501",
                    name,
                    f"span name built from `{text}`: a request path or URL makes one span "
                    "name per resource (unbounded cardinality); use the route template, e.g. "
                    "`request.url_rule.rule`, `r.Pattern`, `req.route.path`",
                )
                break
            last = words(text)[-1:] if words(text) else []
            if (
                expr.kind() in ("identifier", "attribute", "member_expression", "selector_expression")
                and last
                and (last[0] in _ID_WORDS or last[0].endswith("id"))
                and not text.isupper()
            ):
                ctx.report(
                    "OTM501",
                    name,
                    f"span name built from `{text}`: an identifier makes one span name per "
                    "value (unbounded cardinality); keep the name generic and record it as an attribute",
                )
                break


RULES = (
    Rule(
        code="OTM501",
        name="high-cardinality-span-name",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="medium",
        profile="recommended",
        summary="A span name interpolates a request path, URL or identifier.",
        why="The specification: the span name SHOULD be the most general string that identifies a class of "
        "spans; `get_account/42` is too specific. High-cardinality names break aggregation, sampling "
        "rules and cost in every backend. HTTP spans are named `{method} {route}`, never the raw path.",
        fix="Use the route template (`request.url_rule.rule`, `r.Pattern`, `req.route.path`) or a "
        "constant name, "
        "and record the variable part as an attribute.",
        examples=(
            Example(
                "python",
                "positive: request.path in the name",
                """
def checkout(user_id):
    with tracer.start_active_span("GET " + request.path) as scope:  # want: OTM501
        pass
    with tracer.start_as_current_span(f"load {user_id}"):  # want: OTM501
        pass
""",
            ),
            Example(
                "go",
                "positive: r.URL.Path",
                """
func h(w http.ResponseWriter, r *http.Request) {
	ctx, span := tracer.Start(r.Context(), "GET "+r.URL.Path) // want: OTM501
	defer span.End()
}
""",
            ),
            Example(
                "javascript",
                "positive: req.url in a template literal",
                """
tracer.recordRpc(`${req.method} ${req.url}`); // want: OTM501
""",
            ),
            Example(
                "python",
                "trap: route template and method are low-cardinality",
                """
with tracer.start_as_current_span(f"{request.method} {request.url_rule.rule}"):
    pass
with tracer.start_as_current_span("process " + type(self).__name__):
    pass
""",
            ),
            Example(
                "go",
                "trap: constant names",
                """
func h(ctx context.Context) {
	ctx, span := tracer.Start(ctx, "price-cart")
	defer span.End()
}
""",
            ),
        ),
    ),
)

CHECKS = ((("OTM501",), ("python", "go", "javascript"), check_names),)
