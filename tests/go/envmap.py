"""The JAEGER_* → OTEL_* environment mapping that docs/migration-go.md asks a deployment to apply when
`jaegercfg.FromEnv()` is migrated (api-mapping §3.2): the migrated program leaves its configuration to the
OTel SDK, which reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG) and
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. The harness runs a FromEnv case's legacy program with the case's
JAEGER_* variables and its OTel programs with their translation by this table, written from the jaeger
client's config_env.go and the SDK's sampler_env.go, not from the rewriter."""

from __future__ import annotations

from urllib.parse import urlsplit

OTLP_HTTP_PORT = 4318
JAEGER_DEFAULT_REMOTE_RATE = "0.001"


def otel_env(jaeger: dict[str, str]) -> dict[str, str]:
    """The OTEL_* variables that configure the SDK as the JAEGER_* ones configured jaeger-client-go."""
    out = {}
    if "JAEGER_SERVICE_NAME" in jaeger:
        out["OTEL_SERVICE_NAME"] = jaeger["JAEGER_SERVICE_NAME"]
    if "JAEGER_TAGS" in jaeger:  # same k=v,k2=v2 syntax; jaeger's ${VAR:default} values are not expanded
        out["OTEL_RESOURCE_ATTRIBUTES"] = ",".join(p.strip() for p in jaeger["JAEGER_TAGS"].split(","))
    kind = jaeger.get("JAEGER_SAMPLER_TYPE", "remote").lower()
    param = jaeger.get("JAEGER_SAMPLER_PARAM")
    if kind == "const":
        out["OTEL_TRACES_SAMPLER"] = "parentbased_always_" + ("on" if float(param or 0) else "off")
    elif kind in ("probabilistic", "remote"):  # remote: its initial rate (jaegerremote keeps the rest)
        out["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
        out["OTEL_TRACES_SAMPLER_ARG"] = param or JAEGER_DEFAULT_REMOTE_RATE
    else:
        raise ValueError(f"no OTel SDK sampler reads JAEGER_SAMPLER_TYPE={kind}")
    if "JAEGER_ENDPOINT" in jaeger:
        url = urlsplit(jaeger["JAEGER_ENDPOINT"])
        out["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = (
            f"{url.scheme}://{url.hostname}:{OTLP_HTTP_PORT}/v1/traces"
        )
    elif "JAEGER_AGENT_HOST" in jaeger:
        out["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = (
            f"http://{jaeger['JAEGER_AGENT_HOST']}:{OTLP_HTTP_PORT}/v1/traces"
        )
    if jaeger.get("JAEGER_DISABLED", "").lower() == "true":
        out["OTEL_SDK_DISABLED"] = "true"
    return out
