"""otmigrate: migrate legacy tracing (OpenTracing, Jaeger, Zipkin) to OpenTelemetry."""

__version__ = "0.1.0"
