"""Context propagation and sampling: OTM301 Background/TODO where a ctx is in scope (Go), OTM303 new root
span inside request scope, OTM601 root sampler not wrapped in ParentBased."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.syntax import CALL, FUNCTIONS, call_args, call_name, kwarg, named

_GO_FUNCS = ("function_declaration", "method_declaration", "func_literal")
_REQUEST_PARAMS = {"req", "request"}


def _go_scope(node: SgNode) -> tuple[bool, str]:
    """(a ctx or request is in scope, name of the outermost function)."""
    in_scope, name = False, ""
    for anc in node.ancestors():
        if anc.kind() == "go_statement":
            return False, ""  # a goroutine that outlives the request detaches on purpose
        if anc.kind() in _GO_FUNCS:
            params = anc.field("parameters")
            text = params.text() if params is not None else ""
            in_scope = in_scope or "context.Context" in text or "*http.Request" in text
            if anc.kind() != "func_literal" and anc.field("name") is not None:
                name = anc.field("name").text()
    return in_scope, name


def check_go_context(ctx: FileContext) -> None:
    if "context.Background" not in ctx.text and "context.TODO" not in ctx.text:
        return
    for call in ctx.root.find_all(kind="call_expression", regex=r"^context\.(Background|TODO)\(\)$"):
        in_scope, name = _go_scope(call)
        if not in_scope or name in ("main", "init") or name.startswith(("Test", "Benchmark")):
            continue
        fn = next((a for a in call.ancestors() if a.kind() in _GO_FUNCS), None)
        if fn is not None and "Done()" in fn.text()[: call.range().start.index - fn.range().start.index]:
            continue  # after <-ctx.Done(): a shutdown path (contextcheck #2)
        parent = call.parent().parent() if call.parent() is not None else None
        outer = parent if parent is not None and parent.kind() == "call_expression" else None
        method = call_name(outer)[1] if outer is not None else ""
        if method == "Extract":
            continue  # remote-context extraction at an entry point
        if method in ("Start", "StartSpanFromContext") and call_args(outer) and call_args(outer)[0] == call:
            ctx.report(
                "OTM303",
                call,
                f"`{method}` from `{call.text()}` inside a request: the span starts a new "
                "trace instead of joining the caller's; pass the request's ctx (or add a span link)",
            )
            continue
        ctx.report(
            "OTM301",
            call,
            f"`{call.text()}` where a ctx is in scope: the trace (and cancellation) is "
            "dropped here; pass the ctx, or `context.WithoutCancel(ctx)` to outlive the request",
        )


def check_root_spans(ctx: FileContext) -> None:
    """Python `context=Context()` and JavaScript `{root: true}` in a request handler."""
    lang = ctx.language
    marker = "Context()" if lang == "python" else "root"
    if marker not in ctx.text:
        return
    for call in ctx.root.find_all(
        kind=CALL[lang], regex=r"(start_span|start_as_current_span|startSpan|startActiveSpan)"
    ):
        _, method = call_name(call)
        if method not in ("start_span", "start_as_current_span", "startSpan", "startActiveSpan"):
            continue
        if kwarg(call, "links") is not None:
            continue  # root plus link is the recommended messaging pattern
        flag = kwarg(call, "context") if lang == "python" else kwarg(call, "root")
        is_root = flag is not None and (
            flag.text().endswith("Context()") if lang == "python" else flag.text() == "true"
        )
        if is_root and _in_request_handler(call, lang):
            ctx.report(
                "OTM303",
                call,
                "a new root span inside a request handler: it starts a new trace instead "
                "of joining the request's; drop the root option (or add a span link to the request's span)",
            )


def _in_request_handler(node: SgNode, lang: str) -> bool:
    for anc in node.ancestors():
        if anc.kind() in FUNCTIONS[lang]:
            params = anc.field("parameters")
            names = {p.text().split(":")[0].split("=")[0].strip() for p in named(params)} if params else set()
            if names & _REQUEST_PARAMS:
                return True
            if (
                lang == "python"
                and anc.parent() is not None
                and anc.parent().kind() == "decorated_definition"
                and ".route(" in anc.parent().text().split("def ", 1)[0]
            ):
                return True
    return False


_ROOT_SAMPLERS = {
    "python": ("TraceIdRatioBased", "ALWAYS_ON", "ALWAYS_OFF", "StaticSampler"),
    "go": ("TraceIDRatioBased", "AlwaysSample", "NeverSample"),
    "javascript": ("TraceIdRatioBasedSampler", "AlwaysOnSampler", "AlwaysOffSampler"),
}


def check_sampler(ctx: FileContext) -> None:
    lang = ctx.language
    if ctx.is_test_file or not any(s in ctx.text for s in _ROOT_SAMPLERS[lang]):
        return
    values: list[SgNode] = []
    if lang == "python":
        for call in ctx.root.find_all(kind="call", regex=r"TracerProvider\s*\("):
            value = kwarg(call, "sampler")
            if value is not None:
                values.append(value)
    elif lang == "go":
        for call in ctx.root.find_all(kind="call_expression", regex=r"WithSampler\s*\("):
            if call_name(call)[1] == "WithSampler" and call_args(call):
                values.append(call_args(call)[0])
    else:
        for pair in ctx.root.find_all(kind="pair", regex=r"^sampler\s*:"):
            if pair.field("value") is not None:
                values.append(pair.field("value"))
    for value in values:
        head = (
            value.field("constructor")
            if value.kind() == "new_expression"
            else (value.field("function") if value.kind() in ("call", "call_expression") else value)
        )
        name = head.text().rsplit(".", 1)[-1] if head is not None else ""
        if name in _ROOT_SAMPLERS[lang]:
            ctx.report(
                "OTM601",
                value,
                f"`{value.text()}` applies to every span, ignoring the parent's sampling "
                "decision: traces break where services disagree; wrap it, e.g. `ParentBased(root=...)`",
            )


RULES = (
    Rule(
        code="OTM301",
        name="background-context-in-scope",
        languages=("go",),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="`context.Background()`/`TODO()` used where a request context is in scope.",
        why="The new context carries no span and no deadline: everything below it starts a new trace and "
        "ignores cancellation. Exempt: `Extract(context.Background(), ...)` at entry points, `main`, "
        "`init`, tests, goroutines started with `go`, and shutdown paths after `<-ctx.Done()`.",
        fix="Pass the ctx you have (`r.Context()` in a handler) or `context.WithoutCancel(ctx)` to "
        "keep the trace while outliving the request.",
        examples=(
            Example(
                "go",
                "positive: Background in a ctx function",
                """
func handle(ctx context.Context, id string) error {
	return store.Load(context.Background(), id) // want: OTM301
}
""",
            ),
            Example(
                "go",
                "trap: Extract at an entry point, goroutine, main",
                """
func serve(w http.ResponseWriter, r *http.Request) {
	ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(r.Header))
	go func() { audit(context.Background()) }()
	use(ctx)
}

func main() {
	run(context.Background())
}
""",
            ),
            Example(
                "go",
                "trap: shutdown after <-ctx.Done()",
                """
func run(ctx context.Context, srv *http.Server) {
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(stop)
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM303",
        name="new-root-span-in-request",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="A span inside a request handler is started as a new root.",
        why="The span begins a new trace, so the request's trace loses this work and this trace loses its "
        "cause. Batch jobs that mean to start a trace should link to the request's span instead; a start "
        "that passes links is not reported.",
        fix="Start the span from the request's context; if a new trace is intended, add a span link.",
        examples=(
            Example(
                "go",
                "positive: Start from Background in a handler",
                """
func serve(w http.ResponseWriter, r *http.Request) {
	ctx, span := tracer.Start(context.Background(), "serve") // want: OTM303
	defer span.End()
	use(ctx)
}
""",
            ),
            Example(
                "javascript",
                "positive: root: true in an Express handler",
                """
app.get("/x", (req, res) => {
  const span = tracer.startSpan("x", { root: true }); // want: OTM303
  span.end();
});
""",
            ),
            Example(
                "python",
                "positive: empty context in a Flask view",
                """
@app.route("/x")
def view():
    with tracer.start_as_current_span("x", context=Context()):  # want: OTM303
        pass
""",
            ),
            Example(
                "python",
                "trap: root plus link is the messaging pattern",
                """
def consume(request):
    with tracer.start_as_current_span("x", context=Context(), links=[link]):
        pass
""",
            ),
            Example(
                "javascript",
                "negative: outside a handler",
                """
function batch() {
  const span = tracer.startSpan("nightly", { root: true });
  span.end();
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM601",
        name="sampler-not-parent-based",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="The tracer provider's sampler is not wrapped in ParentBased.",
        why="`TraceIdRatioBased`, `AlwaysOn` and `AlwaysOff` ignore the parent's sampled flag, so services "
        "disagree about which traces to keep and traces arrive broken. The SDK default is already "
        "`ParentBased(AlwaysOn)`; not configuring a sampler is fine. Test files are not checked.",
        fix="`ParentBased(root=TraceIdRatioBased(0.1))` (Python), `sdktrace.ParentBased(sdktrace.TraceIDRatio"
        "Based(0.1))` (Go), `new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })` (JS).",
        examples=(
            Example(
                "python",
                "positive: ratio sampler at the root",
                """
provider = TracerProvider(sampler=TraceIdRatioBased(0.1))  # want: OTM601
""",
            ),
            Example(
                "python",
                "negative: ParentBased",
                """
provider = TracerProvider(sampler=ParentBased(root=TraceIdRatioBased(0.1)))
""",
            ),
            Example(
                "go",
                "positive: AlwaysSample",
                """
func setup() *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample())) // want: OTM601
}
""",
            ),
            Example(
                "javascript",
                "positive and negative",
                """
const a = new NodeTracerProvider({ sampler: new AlwaysOnSampler() }); // want: OTM601
const b = new NodeTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) });
""",
            ),
        ),
    ),
)

CHECKS = (
    (("OTM301", "OTM303"), ("go",), check_go_context),
    (("OTM303",), ("python", "javascript"), check_root_spans),
    (("OTM601",), ("python", "go", "javascript"), check_sampler),
)
