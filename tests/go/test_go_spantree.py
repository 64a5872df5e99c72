"""The span-tree normalisation maps legacy data per api-mapping §5/§6 and tells different trees apart."""

from spantree import legacy_tree, otel_tree


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
