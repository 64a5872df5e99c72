"""The span-tree normalisation maps legacy data per api-mapping §5/§6 and tells different trees apart."""

from spantree import legacy_tree, otel_tree, same_tree


def _v(t, v):
    return {"t": t, "v": v}


LEGACY = [
    {
        "id": "1",
        "parent": "",
        "name": "GET /x",
        "events": [],
        "tags": {
            "span.kind": _v("string", "server"),
            "http.status_code": _v("int", 500),
            "error": _v("bool", True),
            "peer.hostname": _v("string", "h"),
            "sampler.type": _v("string", "const"),
        },
    },
    {
        "id": "2",
        "parent": "1",
        "name": "db",
        "tags": {"db.type": _v("string", "sql")},
        "events": [
            {"fields": [{"k": "event", **_v("string", "row")}, {"k": "n", **_v("int", 1)}]},
            {"fields": [{"k": "error.object", **_v("other", "boom")}]},
        ],
    },
]
OTEL = [
    {
        "id": "a",
        "parent": "",
        "name": "GET /x",
        "kind": "server",
        "status": "Error",
        "events": [],
        "tags": {"http.response.status_code": _v("int", 500), "client.address": _v("string", "h")},
    },
    {
        "id": "b",
        "parent": "a",
        "name": "db",
        "kind": "internal",
        "status": "Unset",
        "tags": {"db.system.name": _v("string", "other_sql")},
        "events": [
            {"name": "row", "fields": [{"k": "n", **_v("int", 1)}]},
            {"name": "exception", "fields": [{"k": "exception.message", **_v("string", "boom")}]},
        ],
    },
]


def test_legacy_maps_to_otel_terms():
    assert legacy_tree(LEGACY, "opentracing") == otel_tree(OTEL)


def test_differences_are_seen():
    wrong_type = [
        dict(OTEL[0], tags={**OTEL[0]["tags"], "http.response.status_code": _v("string", "500")}),
        OTEL[1],
    ]
    flat = [OTEL[0], dict(OTEL[1], parent="")]
    no_status = [dict(OTEL[0], status="Unset"), OTEL[1]]
    for otel in (wrong_type, flat, no_status, OTEL[:1]):
        assert legacy_tree(LEGACY, "opentracing") != otel_tree(otel)


def test_zipkin_tags_are_typed():
    legacy = [
        {
            "id": "1",
            "parent": "9",
            "name": "get",
            "kind": "CLIENT",
            "events": [{"name": "wr", "fields": []}],
            "tags": {"http.status_code": _v("string", "200"), "error": _v("string", "x")},
        }
    ]
    otel = [
        {
            "id": "1",
            "parent": "9",
            "name": "get",
            "kind": "client",
            "status": "Error",
            "events": [{"name": "wr", "fields": []}],
            "tags": {"http.response.status_code": _v("int", 200)},
        }
    ]
    assert legacy_tree(legacy, "zipkin") == otel_tree(otel)
    assert legacy_tree(legacy, "zipkin")[0]["remote_parent"] is True


def test_follows_from_is_a_link_to_the_named_span():
    legacy = [
        {"id": "1", "parent": "", "name": "batch", "tags": {}, "events": []},
        {
            "id": "2",
            "parent": "1",
            "name": "notify",
            "tags": {},
            "events": [],
            "links": [{"span": "1", "ref_type": "follows_from"}],
        },
    ]
    link = {"span": "a", "attrs": {"opentracing.ref_type": _v("string", "follows_from")}}
    otel = [
        {"id": "a", "parent": "", "name": "batch", "kind": "internal", "status": "Unset", "tags": {}},
        dict(OTEL[1], id="b", parent="a", name="notify", tags={}, events=[], links=[link]),
    ]
    assert legacy_tree(legacy, "opentracing") == otel_tree(otel)
    child_of_only = [legacy[0], dict(legacy[1], links=[{"span": "1", "ref_type": "child_of"}])]
    assert legacy_tree(child_of_only, "opentracing") != otel_tree(otel)
    assert legacy_tree(legacy, "opentracing") != otel_tree([otel[0], dict(otel[1], links=[])])


OTELHTTP = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
# zipkin-go: an app span, its middleware client span (http/GET) and the server span (GET) under it.
ZIPKIN_HTTP = [
    {"id": "1", "parent": "", "name": "checkout", "tags": {}, "events": []},
    {
        "id": "2",
        "parent": "1",
        "name": "http/GET",
        "kind": "CLIENT",
        "tags": {"http.method": _v("string", "GET"), "http.path": _v("string", "/items")},
        "events": [],
    },
    {
        "id": "3",
        "parent": "2",
        "name": "GET",
        "kind": "SERVER",
        "tags": {"http.method": _v("string", "GET"), "http.path": _v("string", "/items")},
        "events": [],
    },
]


def _otelhttp(**change):
    spans = [
        {"id": "a", "parent": "", "name": "checkout", "kind": "internal", "status": "Unset", "tags": {}},
        {
            "id": "b",
            "parent": "a",
            "name": "HTTP GET",
            "kind": "client",
            "status": "Unset",
            "scope": OTELHTTP,
            "tags": {
                "http.request.method": _v("string", "GET"),
                "url.full": _v("string", "http://127.0.0.1:4711/items"),
                "http.response.status_code": _v("int", 200),
            },
        },
        {
            "id": "c",
            "parent": "b",
            "name": "GET /items",
            "kind": "server",
            "status": "Unset",
            "scope": OTELHTTP,
            "tags": {"http.request.method": _v("string", "GET"), "url.path": _v("string", "/items")},
        },
    ]
    for ident, fields in change.items():
        spans = [{**s, **fields} if s["id"] == ident else s for s in spans]
    return [{**s, "events": []} for s in spans]


def test_instrumentation_spans_compare_by_mapped_name_and_present_attributes():
    assert same_tree(legacy_tree(ZIPKIN_HTTP, "zipkin"), otel_tree(_otelhttp()))


def test_instrumentation_mode_still_catches_missing_spans_wrong_parents_and_values():
    legacy = legacy_tree(ZIPKIN_HTTP, "zipkin")
    otel = _otelhttp()
    wrong = [
        otel[:2],  # the server span is missing
        _otelhttp(c={"parent": "a"}),  # the server span under the app span, not the client span
        _otelhttp(b={"name": "HTTP POST"}),  # another request
        _otelhttp(c={"tags": {"url.path": _v("string", "/other")}}),  # a legacy attribute's value differs
        _otelhttp(c={"status": "Error"}),
        _otelhttp(b={"scope": ""}),  # not instrumentation: the strict comparison applies
        _otelhttp(a={"tags": {"extra": _v("string", "x")}}),  # extra attributes only on instrumentation
    ]
    for spans in wrong:
        assert not same_tree(legacy, otel_tree(spans)), spans
