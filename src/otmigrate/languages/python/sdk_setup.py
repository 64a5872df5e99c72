"""OTel SDK set-up code generated from jaeger-client and py_zipkin configuration (§2.2, §2.3, §7, §8).

The generated statements are parsed inside a function body so that their continuation lines are
indented relative to wherever they are inserted.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import libcst as cst

# OTEL_PROPAGATORS-style names -> the propagator each one constructs.
PROPAGATORS = {
    "tracecontext": "TraceContextTextMapPropagator()",
    "baggage": "W3CBaggagePropagator()",
    "b3multi": "B3MultiFormat()",
    "b3": "B3SingleFormat()",
    "jaeger": "JaegerPropagator()",
}
W3C = ["tracecontext", "baggage"]


@dataclass
class Setup:
    """What one tracer set-up configures; `render` turns it into statements."""

    provider: str = "provider"
    resource: list[tuple[str, str]] = field(default_factory=list)  # (key code, value code)
    sampler: str = "ParentBased(ALWAYS_ON)"
    exporter: str = "OTLPSpanExporter()"
    batch_options: list[tuple[str, str]] = field(default_factory=list)
    console: bool = False
    install: bool = True  # set the global provider (initialize_tracer) or keep it local (new_tracer)
    propagators: list[str] | None = None  # None: leave the global propagator alone

    def render(self) -> list[cst.BaseStatement]:
        p = self.provider
        resource = ", ".join(f"{k}: {v}" for k, v in self.resource)
        lines = [
            f"{p} = TracerProvider(",
            f"    resource=Resource.create({{{resource}}}),",
            f"    sampler={self.sampler},",
            ")",
        ]
        if self.batch_options:
            options = "".join(f"        {k}={v},\n" for k, v in self.batch_options)
            processor = f"    BatchSpanProcessor(\n        {self.exporter},\n{options}    )"
            lines.append(f"{p}.add_span_processor(\n{processor}\n)")
        else:
            lines.append(f"{p}.add_span_processor(BatchSpanProcessor({self.exporter}))")
        if self.console:
            lines.append(f"{p}.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))")
        if self.install:
            lines.append(f"trace.set_tracer_provider({p})")
        if self.propagators is not None and self.propagators != W3C:
            parts = ", ".join(PROPAGATORS[name] for name in self.propagators)
            lines.append(f"propagate.set_global_textmap(\n    CompositePropagator([{parts}])\n)")
        return parse_statements("\n".join(lines))


def parse_statements(text: str) -> list[cst.BaseStatement]:
    """Statements whose indentation is relative to the block they will be put in."""
    wrapper = cst.parse_module("def _():\n" + textwrap.indent(text, "    ") + "\n")
    function = wrapper.body[0]
    assert isinstance(function, cst.FunctionDef) and isinstance(function.body, cst.IndentedBlock)
    return list(function.body.body)


def fleet_propagators(configured: list[str] | None, legacy: str) -> list[str]:
    """W3C plus the legacy format, so a service keeps talking to the not-yet-migrated ones (§8).

    `propagators` in the configuration overrides this, e.g. ["tracecontext", "baggage"] once the
    whole fleet speaks W3C.
    """
    if configured is not None:
        return [name for name in configured if name in PROPAGATORS]
    return [*W3C, legacy]
