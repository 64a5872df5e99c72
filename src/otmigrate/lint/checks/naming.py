"""Span names, kinds and granularity (OTM5xx): OTM501 name built from high-cardinality data (request paths,
ids), OTM503 HTTP handler span not SERVER (or a duplicate SERVER), OTM506 span per loop iteration."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.spans import LEGACY_ONLY_STARTS, span_kind, start_calls, uses_otel_api
from otmigrate.lint.syntax import (
    CALL,
    FUNCTIONS,
    LOOPS,
    call_args,
    call_name,
    dynamic_string,
    enclosing_function,
    kwarg,
    named,
    words,
)

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


# ------------------------------------------------------------------ OTM503

_GO_HANDLER = re.compile(
    r"http\.ResponseWriter|\*http\.Request\b|\*gin\.Context|\becho\.Context|\*fiber\.Ctx"
)
_PY_ROUTE = re.compile(
    r"^@[\w.]+\.(route|get|post|put|patch|delete|head|options|api_route|websocket)\(|^@(api_view|view_config)\b"
)
_JS_ROUTE = re.compile(r"\.(get|post|put|patch|delete|all|use|route|head|options)$")
_JS_REQUEST, _JS_RESPONSE = {"req", "request"}, {"res", "response", "reply"}
_SERVER_INSTRUMENTATION = re.compile(
    r"otelhttp\.(NewHandler|NewMiddleware|WithRouteTag)|otel(gin|mux|echo|fiber|chi)\b|"
    r"opentelemetry\.instrumentation\.(flask|fastapi|django|wsgi|asgi|falcon|pyramid|starlette|tornado)|"
    r"(Flask|FastAPI|Django|Falcon|Pyramid|Starlette|Tornado)Instrumentor|OpenTelemetryMiddleware|"
    r"@opentelemetry/(instrumentation-(http|express|koa|fastify|hapi|restify|connect)|auto-instrumentations-node)"
)


def _param_names(fn: SgNode) -> list[str]:
    params = fn.field("parameters") or fn.field("parameter")
    if params is None:
        return []
    if params.kind() == "identifier":
        return [params.text()]
    return [re.split(r"[:=\s]", p.text().lstrip("*"), maxsplit=1)[0] for p in named(params)]


def is_http_handler(ctx: FileContext, fn: SgNode) -> bool:
    """By signature and framework: Go net/http, gin, echo, fiber; Python route decorators (Flask, FastAPI,
    DRF, Pyramid) and Django views; JavaScript `(req, res)` and `(request, reply)` functions and Koa-style
    functions registered on a router. A Lambda-style `handler(event, context)` is not an HTTP handler."""
    if ctx.language == "go":
        params = fn.field("parameters")
        return params is not None and _GO_HANDLER.search(params.text()) is not None
    names = _param_names(fn)
    if ctx.language == "python":
        parent = fn.parent()
        if parent is not None and parent.kind() == "decorated_definition":
            decorators = [d.text() for d in named(parent) if d.kind() == "decorator"]
            if any(_PY_ROUTE.match(d) for d in decorators):
                return True
        return ctx.path.endswith("views.py") and names[:1] == ["request"]
    if len(names) >= 2 and names[0] in _JS_REQUEST and names[1] in _JS_RESPONSE:
        return True
    arguments = fn.parent()
    route = arguments.parent() if arguments is not None and arguments.kind() == "arguments" else None
    return (
        route is not None
        and route.kind() == "call_expression"
        and _JS_ROUTE.search(route.field("function").text()) is not None
        and names[:1] == ["ctx"]
    )


def check_handler_kind(ctx: FileContext) -> None:
    if not uses_otel_api(ctx):
        return
    instrumented = ctx.options.server_instrumented or _SERVER_INSTRUMENTATION.search(ctx.text) is not None
    by_handler: dict[int, list[SgNode]] = {}
    for call in start_calls(ctx):
        fn = enclosing_function(call, ctx.language)
        if call_name(call)[1] not in LEGACY_ONLY_STARTS and fn is not None and is_http_handler(ctx, fn):
            by_handler.setdefault(fn.range().start.index, []).append(call)
    for calls in by_handler.values():
        calls.sort(key=lambda c: c.range().start.index)
        if instrumented:
            for call in calls:
                if span_kind(call) == "server":
                    ctx.report(
                        "OTM503",
                        call,
                        "a second SERVER span for this request: the server instrumentation already "
                        "creates it, so this one should be INTERNAL (drop the kind)",
                    )
            continue
        kind = span_kind(calls[0])
        if kind not in ("server", "unknown"):
            shown = kind.upper() if kind else "INTERNAL (the default)"
            ctx.report(
                "OTM503",
                calls[0],
                f"the first span of this HTTP handler is {shown}: with no server instrumentation it is "
                "the request's entry span, and HTTP server spans MUST be SERVER; set the kind to SERVER "
                "(or `server-instrumented = true` when a middleware elsewhere creates it)",
            )


# ------------------------------------------------------------------ OTM506

_LOOP_CALLBACKS = {"forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find"}
_IO_WORDS = {
    "fetch", "request", "query", "exec", "execute", "send", "publish", "produce", "post", "put", "do",
    "call", "invoke", "write", "read", "recv", "receive", "download", "upload", "insert", "update",
    "delete", "save", "load", "open", "connect", "dial", "get", "scan", "commit", "emit", "urlopen",
}  # fmt: skip
_IO_RECEIVERS = {
    "http", "requests", "client", "session", "db", "conn", "cursor", "redis", "kafka", "producer",
    "consumer", "s3", "axios", "stub", "grpc", "sqs", "sns", "pool", "tx", "socket", "sock", "queue",
}  # fmt: skip

_TRACING_CALLS = {
    "start_span", "start_as_current_span", "start_active_span", "Start", "StartSpan",
    "StartSpanFromContext", "startSpan", "startActiveSpan", "End", "end", "finish", "Finish",
    "set_attribute", "SetAttributes", "setAttribute", "setAttributes", "add_event", "AddEvent", "addEvent",
}  # fmt: skip


def _loop_of(call: SgNode, language: str) -> SgNode | None:
    """The loop (or the `forEach`/`map` callback) that runs `call` once per item, if any."""
    for anc in call.ancestors():
        if anc.kind() in LOOPS[language]:
            return anc
        if anc.kind() in FUNCTIONS[language]:
            arguments = anc.parent()
            outer = arguments.parent() if arguments is not None and arguments.kind() == "arguments" else None
            if outer is not None and outer.kind() == "call_expression":
                return anc if call_name(outer)[1] in _LOOP_CALLBACKS else None
            return None
    return None


def _does_io(loop: SgNode, language: str) -> bool:
    """Generous on purpose: a call that may do I/O makes a span per item legitimate (per-item network or
    DB calls), so any doubt silences the rule."""
    awaits = {"python": "await", "javascript": "await_expression"}.get(language)
    if awaits is not None and loop.find(kind=awaits) is not None:
        return True
    for call in loop.find_all(kind=CALL[language]):
        recv, name = call_name(call)
        if name in _TRACING_CALLS:
            continue
        receiver_words = words(recv.text().split(".")[0]) if recv is not None else []
        if set(words(name)) & _IO_WORDS or set(receiver_words) & _IO_RECEIVERS:
            return True
        if language == "go" and any(a.text() == "ctx" for a in call_args(call)):
            return True  # a Go function that takes the ctx may well do I/O
    return False


def check_span_per_iteration(ctx: FileContext) -> None:
    for call in start_calls(ctx):
        loop = _loop_of(call, ctx.language)
        if loop is None or span_kind(call) not in (None, "internal") or _does_io(loop, ctx.language):
            continue
        ctx.report(
            "OTM506",
            call,
            "a span per iteration of a loop that does no I/O: N items make N spans that say little "
            "(cost, noise, span limits); record per-item data on the enclosing span (attributes, events) "
            "or make one span for the whole loop",
        )


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
    Rule(
        code="OTM503",
        name="http-handler-span-kind",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="medium",
        profile="recommended",
        summary="The first span of an HTTP handler is not SERVER, or is a second SERVER span.",
        why="Semantic conventions: HTTP server spans MUST be of kind SERVER. Backends build service maps, "
        "request rates and latency from SERVER spans; an INTERNAL entry span makes the service look like it "
        "receives no requests. When a server instrumentation (otelhttp, otelgin, the Flask/FastAPI/Django "
        "instrumentors, @opentelemetry/instrumentation-http/express) already creates the SERVER span, a "
        "manual SERVER span is a duplicate that double-counts every request.",
        fix="Without server instrumentation: start the handler's span with kind SERVER "
        "(`trace.WithSpanKind(trace.SpanKindServer)`, `kind=SpanKind.SERVER`, `{ kind: SpanKind.SERVER }`). "
        "With it: drop the kind (INTERNAL). If the instrumentation is set up elsewhere (a router "
        "middleware), say so with `server-instrumented = true`.",
        options=("server-instrumented", "span-start-functions"),
        examples=(
            Example(
                "go",
                "positive: net/http handler whose span is INTERNAL",
                """
func checkout(w http.ResponseWriter, r *http.Request) {
	ctx, span := tracer.Start(r.Context(), "GET /checkout") // want: OTM503
	defer span.End()
	render(ctx, w)
}
""",
            ),
            Example(
                "go",
                "negative: SERVER entry span, INTERNAL child",
                """
func checkout(w http.ResponseWriter, r *http.Request) {
	ctx, span := tracer.Start(r.Context(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	ctx, child := tracer.Start(ctx, "render")
	defer child.End()
	render(ctx, w)
}
""",
            ),
            Example(
                "go",
                "trap: otelhttp in the file makes a manual SERVER span a duplicate",
                """
func checkout(w http.ResponseWriter, r *http.Request) {
	ctx, span := tracer.Start(r.Context(), "co", trace.WithSpanKind(trace.SpanKindServer)) // want: OTM503
	defer span.End()
	render(ctx, w)
}

func routes() http.Handler {
	return otelhttp.NewHandler(http.HandlerFunc(checkout), "checkout")
}
""",
            ),
            Example(
                "go",
                "trap: server-instrumented setting (router-level middleware elsewhere)",
                """
func checkout(c *gin.Context) {
	ctx, span := tracer.Start(c.Request.Context(), "load-cart")
	defer span.End()
	load(ctx)
}
""",
                config={"server-instrumented": True},
            ),
            Example(
                "go",
                "trap: not an HTTP handler",
                """
func priceCart(ctx context.Context, id string) int {
	ctx, span := tracer.Start(ctx, "price-cart")
	defer span.End()
	return price(ctx, id)
}
""",
            ),
            Example(
                "python",
                "positive: Flask view with an INTERNAL span",
                """
@app.route("/checkout/<user_id>")
def checkout(user_id):
    with tracer.start_as_current_span("checkout"):  # want: OTM503
        return render(user_id)
""",
            ),
            Example(
                "python",
                "negative: FastAPI route with a SERVER span",
                """
@router.get("/items/{item_id}")
async def read_item(item_id: int):
    with tracer.start_as_current_span("GET /items/{item_id}", kind=SpanKind.SERVER):
        return await load(item_id)
""",
            ),
            Example(
                "python",
                "trap: FlaskInstrumentor creates the SERVER span",
                """
FlaskInstrumentor().instrument_app(app)


@app.route("/checkout")
def checkout():
    with tracer.start_as_current_span("checkout", kind=SpanKind.SERVER):  # want: OTM503
        return render()
    with tracer.start_as_current_span("render"):
        return render()
""",
            ),
            Example(
                "python",
                "trap: a Lambda entry point is not an HTTP handler",
                """
def handler(event, context):
    with tracer.start_as_current_span("process"):
        return process(event)
""",
            ),
            Example(
                "javascript",
                "positive: Express handler with an INTERNAL span",
                """
app.get("/checkout", (req, res) => {
  const span = tracer.startSpan("checkout"); // want: OTM503
  res.send(render());
  span.end();
});
""",
            ),
            Example(
                "javascript",
                "negative: SERVER kind in the options",
                """
app.get("/checkout", (req, res) => {
  tracer.startActiveSpan("GET /checkout", { kind: SpanKind.SERVER }, (span) => {
    res.send(render());
    span.end();
  });
});
""",
            ),
            Example(
                "javascript",
                "trap: Koa-style handler registered on a router, instrumentation in the file",
                """
const { KoaInstrumentation } = require("@opentelemetry/instrumentation-koa");

router.get("/checkout", async (ctx) => {
  const span = tracer.startSpan("load-cart");
  ctx.body = await load();
  span.end();
});
""",
            ),
            Example(
                "javascript",
                "trap: a serverless handler is not an HTTP handler",
                """
exports.handler = async (event, context) => {
  const span = tracer.startSpan("process");
  await work(event);
  span.end();
};
""",
            ),
        ),
    ),
    Rule(
        code="OTM506",
        name="span-per-loop-iteration",
        languages=("python", "go", "javascript"),
        severity="info",
        precision="medium",
        profile="recommended",
        summary="A span is started on every iteration of a loop whose body does no I/O.",
        why="Per-item spans of in-memory work multiply the span count by the batch size: export cost, "
        "sampling pressure and span-limit drops, with little to learn from each span. Per-item spans are "
        "legitimate when each iteration does I/O (a request or query per item), and the specification "
        "requires a PRODUCER span per message when batching, so those are not reported.",
        fix="Record per-item data on the enclosing span (attributes, or events for a few items), or start "
        "one span around the whole loop.",
        examples=(
            Example(
                "go",
                "positive: a span per item of in-memory work",
                """
func total(ctx context.Context, items []Item) (sum int) {
	for _, it := range items {
		_, span := tracer.Start(ctx, "price-item") // want: OTM506
		sum += it.Price * it.Qty
		span.End()
	}
	return sum
}
""",
            ),
            Example(
                "go",
                "negative: each iteration queries the database",
                """
func load(ctx context.Context, ids []string) {
	for _, id := range ids {
		ctx, span := tracer.Start(ctx, "load-item")
		row := db.QueryRowContext(ctx, "SELECT price FROM items WHERE id = ?", id)
		row.Scan(&price)
		span.End()
	}
}
""",
            ),
            Example(
                "go",
                "trap: a PRODUCER span per message is required when batching",
                """
func publish(ctx context.Context, msgs []Msg) {
	for _, m := range msgs {
		_, span := tracer.Start(ctx, "orders send", trace.WithSpanKind(trace.SpanKindProducer))
		batch.Add(m)
		span.End()
	}
}
""",
            ),
            Example(
                "python",
                "positive: with-block per item",
                """
def total(items):
    subtotal = 0
    for item in items:
        with tracer.start_as_current_span("price-item"):  # want: OTM506
            subtotal += item.price * item.qty
    return subtotal
""",
            ),
            Example(
                "python",
                "negative: an HTTP request per item",
                """
def sync(items):
    for item in items:
        with tracer.start_as_current_span("push-item"):
            requests.post(URL, json=item)
""",
            ),
            Example(
                "python",
                "trap: a CONSUMER span per received message",
                """
def drain(messages):
    for msg in messages:
        with tracer.start_as_current_span("orders process", kind=SpanKind.CONSUMER):
            handle(msg)
""",
            ),
            Example(
                "javascript",
                "positive: forEach callback starts a span per item",
                """
function total(items) {
  let sum = 0;
  items.forEach((item) => {
    const span = tracer.startSpan("price-item"); // want: OTM506
    sum += item.price * item.qty;
    span.end();
  });
  return sum;
}
""",
            ),
            Example(
                "javascript",
                "negative: an awaited request per item",
                """
async function sync(items) {
  for (const item of items) {
    const span = tracer.startSpan("push-item");
    await client.push(item);
    span.end();
  }
}
""",
            ),
        ),
    ),
)

CHECKS = (
    (("OTM501",), ("python", "go", "javascript"), check_names),
    (("OTM503",), ("python", "go", "javascript"), check_handler_kind),
    (("OTM506",), ("python", "go", "javascript"), check_span_per_iteration),
)
