// Package harness holds the Go side of otmigrate's behavioural-equivalence tests: record/ installs the
// in-memory recorders; tests/go/gorun.py generates one program that runs every fixture case with them.
// The blank imports pin every module that migrated fixture code may import, so that `go mod download`
// fetches them all and the generated program builds offline.
package harness

import (
	_ "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	_ "go.opentelemetry.io/contrib/propagators/b3"
	_ "go.opentelemetry.io/contrib/propagators/jaeger"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/exporters/zipkin"
	_ "go.opentelemetry.io/otel/sdk/resource"
	_ "go.opentelemetry.io/otel/semconv/v1.43.0"

	_ "otmigrate.test/harness/record"
)
