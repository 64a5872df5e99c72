"""Leftover legacy tracing: OTM901 legacy import, OTM902 deprecated exporter, OTM903 deprecated propagator,
OTM904 OpenTracing/OpenCensus shim or bridge. Imports come from the core's binding tables."""

from __future__ import annotations

import re

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Rule

# (code, module-path pattern, what it is)
_OTEL_MODULES = (
    ("OTM902", r"^opentelemetry\.exporter\.(jaeger|zipkin|opencensus)\b", "deprecated exporter"),
    ("OTM902", r"^go\.opentelemetry\.io/otel/exporters/(jaeger|zipkin)\b", "deprecated exporter"),
    ("OTM902", r"^@opentelemetry/exporter-(jaeger|zipkin)\b", "deprecated exporter"),
    ("OTM903", r"^opentelemetry\.propagators\.(jaeger|ot_trace)\b", "deprecated propagator"),
    ("OTM903", r"^go\.opentelemetry\.io/contrib/propagators/(jaeger|ot)\b", "deprecated propagator"),
    ("OTM903", r"^@opentelemetry/propagator-(jaeger|ot-trace)\b", "deprecated propagator"),
    ("OTM904", r"^opentelemetry\.shim\.(opentracing_shim|opencensus)\b", "compatibility shim"),
    ("OTM904", r"^go\.opentelemetry\.io/otel/bridge/(opentracing|opencensus)\b", "compatibility bridge"),
    ("OTM904", r"^@opentelemetry/shim-(opentracing|opencensus)\b", "compatibility shim"),
)
_ADVICE = {
    "OTM902": "export with OTLP (the Jaeger exporter is removed from the SDKs; the Zipkin exporter is "
    "deprecated in the spec) — a collector can still forward to Jaeger or Zipkin",
    "OTM903": "propagate W3C tracecontext; keep this propagator only inside a composite while services that "
    "still speak it are migrated",
    "OTM904": "migration in progress: move the remaining call sites to the OpenTelemetry API "
    "(`otmigrate rewrite`) and drop the shim",
}


def check_legacy(ctx: FileContext) -> None:
    reported: set[tuple[str, int]] = set()
    for b in ctx.bindings:
        if b.is_legacy:
            if ("OTM901", b.line) not in reported:
                reported.add(("OTM901", b.line))
                ctx.report_at(
                    "OTM901",
                    b.line,
                    b.column,
                    f"legacy tracing import `{b.module}` ({b.library}): migrate it "
                    "to OpenTelemetry with `otmigrate rewrite`",
                )
            continue
        module = b.imported_module
        for code, pattern, what in _OTEL_MODULES:
            if re.search(pattern, module) and (code, b.line) not in reported:
                reported.add((code, b.line))
                ctx.report_at(code, b.line, b.column, f"`{module}` is a {what}: {_ADVICE[code]}")


RULES = (
    Rule(
        code="OTM901",
        name="legacy-tracing-import",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="The file imports a legacy tracing library (OpenTracing, Jaeger client, Zipkin, OpenCensus).",
        why="The Jaeger clients are archived (code freeze January 2022) and OpenTracing is superseded by "
        "OpenTelemetry; the OpenTracing compatibility requirements of the OTel specification are deprecated. "
        "New code should not add these imports, and old code should be migrated.",
        fix="Run `otmigrate rewrite --apply PATH` and review the diff; what it cannot migrate is "
        "reported with a "
        "TODO. During a service-by-service migration, suppress with a reason in the files that still need "
        "the legacy library.",
        examples=(
            Example(
                "python",
                "positive: opentracing and jaeger_client",
                """
import opentracing  # want: OTM901
from jaeger_client import Config  # want: OTM901
from opentelemetry import trace
""",
            ),
            Example(
                "go",
                "positive: opentracing-go with an alias",
                """
package main

import (
	"context"
	ot "github.com/opentracing/opentracing-go" // want: OTM901
)
""",
            ),
            Example(
                "javascript",
                "positive: require and import",
                """
const opentracing = require("opentracing"); // want: OTM901
import { Tracer } from "zipkin"; // want: OTM901
""",
            ),
            Example(
                "python",
                "positive: OpenCensus (detected, not migrated)",
                """
from opencensus.trace.tracer import Tracer  # want: OTM901
import opencensus.trace  # want: OTM901
""",
            ),
            Example(
                "go",
                "positive: OpenCensus",
                """
package main

import "go.opencensus.io/trace" // want: OTM901
""",
            ),
            Example(
                "javascript",
                "positive: OpenCensus",
                """
const tracing = require("@opencensus/nodejs"); // want: OTM901
""",
            ),
            Example(
                "javascript",
                "negative: OpenTelemetry only",
                """
const { trace } = require("@opentelemetry/api");
""",
            ),
            Example(
                "python",
                "trap: a name that only looks like the library",
                """
import opentracing_utils_local_copy as tracing_helpers
""",
            ),
        ),
    ),
    Rule(
        code="OTM902",
        name="deprecated-exporter",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="A deprecated or removed OpenTelemetry exporter is imported (Jaeger, Zipkin, OpenCensus).",
        why="The OTel Jaeger exporter was removed from opentelemetry-python in 1.22.0 and is deprecated "
        "in Go "
        "and JavaScript; the specification deprecated the Zipkin exporter in v1.52.0 and will drop it. "
        "Jaeger ingests OTLP natively.",
        fix="Use the OTLP exporter; for a Zipkin backend, run the collector's zipkin exporter.",
        examples=(
            Example(
                "go",
                "positive: otel jaeger exporter",
                """
package main

import "go.opentelemetry.io/otel/exporters/jaeger" // want: OTM902
""",
            ),
            Example(
                "python",
                "positive: jaeger exporter submodule",
                """
from opentelemetry.exporter.jaeger.thrift import JaegerExporter  # want: OTM902
""",
            ),
            Example(
                "javascript",
                "negative: OTLP",
                """
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
""",
            ),
        ),
    ),
    Rule(
        code="OTM903",
        name="deprecated-propagator",
        languages=("python", "go", "javascript"),
        severity="info",
        precision="high",
        profile="pre-commit",
        summary="A deprecated propagator (Jaeger, OT Trace) is imported.",
        why="The specification deprecated the Jaeger and OT Trace propagators (v1.54.0). They remain useful "
        "for interoperating with services that are not migrated yet, inside a composite with tracecontext.",
        fix="Propagate W3C `tracecontext` (+ `baggage`); keep the legacy propagator in a composite only "
        "until "
        "every service speaks W3C.",
        examples=(
            Example(
                "javascript",
                "positive: jaeger propagator",
                """
import { JaegerPropagator } from "@opentelemetry/propagator-jaeger"; // want: OTM903
""",
            ),
            Example(
                "python",
                "positive: ot-trace propagator",
                """
from opentelemetry.propagators.ot_trace import OTTracePropagator  # want: OTM903
""",
            ),
            Example(
                "go",
                "positive: contrib jaeger propagator",
                """
package main

import "go.opentelemetry.io/contrib/propagators/jaeger" // want: OTM903
""",
            ),
            Example(
                "python",
                "negative: B3 is not deprecated",
                """
from opentelemetry.propagators.b3 import B3MultiFormat
""",
            ),
        ),
    ),
    Rule(
        code="OTM904",
        name="shim-in-use",
        languages=("python", "go", "javascript"),
        severity="info",
        precision="high",
        profile="pre-commit",
        summary="An OpenTracing/OpenCensus compatibility shim or bridge is in use.",
        why="A shim is a legitimate migration step, but the specification deprecated its compatibility "
        "requirements (v1.56.0/v1.58.0): it is a debt to pay off, not an end state.",
        fix="Migrate the remaining call sites to the OpenTelemetry API (`otmigrate rewrite`) and remove "
        "the shim.",
        examples=(
            Example(
                "go",
                "positive: opentracing bridge",
                """
package main

import otbridge "go.opentelemetry.io/otel/bridge/opentracing" // want: OTM904
""",
            ),
            Example(
                "python",
                "positive: opentracing shim",
                """
from opentelemetry.shim.opentracing_shim import create_tracer  # want: OTM904
""",
            ),
            Example(
                "javascript",
                "positive: opentracing shim",
                """
const { TracerShim } = require("@opentelemetry/shim-opentracing"); // want: OTM904
""",
            ),
            Example(
                "javascript",
                "negative: the OTel API",
                """
const { trace } = require("@opentelemetry/api");
""",
            ),
        ),
    ),
)

CHECKS = ((("OTM901", "OTM902", "OTM903", "OTM904"), ("python", "go", "javascript"), check_legacy),)
