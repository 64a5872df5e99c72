package record

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	zipkinb3 "github.com/openzipkin/zipkin-go/propagation/b3"
	jaeger "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// probeRoots is how many root spans a probe starts to measure the sampler's root decision.
const probeRoots = 4000

// Setup is what a tracer set-up configures, observed from the outside: the sampler's decisions (the
// share of sampled root spans, and whether a child follows a remote parent's decision), the service and
// the process/resource attributes, and the header names the installed propagation injects.
type Setup struct {
	Installed        string           `json:"installed"`
	RootSampled      float64          `json:"root_sampled"`
	FollowsSampled   bool             `json:"follows_sampled"`
	FollowsUnsampled bool             `json:"follows_unsampled"`
	Service          string           `json:"service"`
	Resource         map[string]Value `json:"resource"`
	Headers          []string         `json:"headers"`
}

// ResetGlobals puts the harness globals in place around a probe: no opentracing tracer, and the harness
// OTel provider (installed before any fixture's own, so that tracers taken from the OTel global earlier
// keep delegating to the harness and not to a fixture's provider).
func ResetGlobals() {
	opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	NewOTel().Spans()
	otel.SetTracerProvider(otelProvider)
}

// Probe describes the set-up a fixture's main installed: a zipkin-go tracer (the fixture's `tracer`
// variable), else the global opentracing tracer if it is a jaeger tracer, else the global OTel provider.
func Probe(tracer any) Setup {
	if t, ok := tracer.(*zipkin.Tracer); ok && t != nil {
		return probeZipkin(t)
	}
	if t, ok := opentracing.GlobalTracer().(*jaeger.Tracer); ok {
		return probeJaeger(t)
	}
	if tp, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		return probeOTel(tp)
	}
	return Setup{Installed: "nothing"}
}

func headerNames(h http.Header) []string {
	names := []string{}
	for k := range h {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	return names
}

func probeJaeger(t *jaeger.Tracer) Setup {
	s := Setup{Installed: "jaeger", Resource: map[string]Value{}}
	sampled := 0
	for i := 0; i < probeRoots; i++ {
		if t.StartSpan("probe").Context().(jaeger.SpanContext).IsSampled() {
			sampled++
		}
	}
	s.RootSampled = float64(sampled) / probeRoots
	// A remote parent, as the tracer's own codec extracts it (jaeger re-samples local parents).
	remote := func(parentSampled bool) opentracing.SpanContext {
		h := http.Header{}
		sc := jaeger.NewSpanContext(jaeger.TraceID{Low: 7}, 9, 0, parentSampled, nil)
		if err := t.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			panic(err)
		}
		parent, err := t.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			panic(err)
		}
		return parent
	}
	child := func(parentSampled bool) opentracing.Span {
		return t.StartSpan("probe", opentracing.ChildOf(remote(parentSampled)))
	}
	isSampled := func(sp opentracing.Span) bool { return sp.Context().(jaeger.SpanContext).IsSampled() }
	s.FollowsSampled, s.FollowsUnsampled = isSampled(child(true)), isSampled(child(false))
	span := child(true)
	process := jaeger.BuildJaegerProcessThrift(span.(*jaeger.Span))
	s.Service = process.ServiceName
	for _, tag := range process.Tags {
		switch {
		case tag.VStr != nil:
			s.Resource[tag.Key] = Value{"string", *tag.VStr}
		case tag.VBool != nil:
			s.Resource[tag.Key] = Value{"bool", *tag.VBool}
		case tag.VLong != nil:
			s.Resource[tag.Key] = Value{"int", *tag.VLong}
		case tag.VDouble != nil:
			s.Resource[tag.Key] = Value{"float", *tag.VDouble}
		}
	}
	h := http.Header{}
	if err := t.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		panic(err)
	}
	s.Headers = headerNames(h)
	return s
}

func probeZipkin(t *zipkin.Tracer) Setup {
	s := Setup{Installed: "zipkin", Resource: map[string]Value{}}
	isSampled := func(sp zipkin.Span) bool { return sp.Context().Sampled != nil && *sp.Context().Sampled }
	sampled := 0
	for i := 0; i < probeRoots; i++ {
		if isSampled(t.StartSpan("probe")) {
			sampled++
		}
	}
	s.RootSampled = float64(sampled) / probeRoots
	child := func(parentSampled bool) zipkin.Span {
		parent := model.SpanContext{TraceID: model.TraceID{Low: 7}, ID: 9, Sampled: &parentSampled}
		return t.StartSpan("probe", zipkin.Parent(parent))
	}
	s.FollowsSampled, s.FollowsUnsampled = isSampled(child(true)), isSampled(child(false))
	if ep := t.LocalEndpoint(); ep != nil {
		s.Service = ep.ServiceName
	}
	// zipkin-go propagates only through b3.InjectHTTP, whose default is the multi-header form.
	req, _ := http.NewRequest(http.MethodGet, "http://probe", nil)
	if err := zipkinb3.InjectHTTP(req)(child(true).Context()); err != nil {
		panic(err)
	}
	s.Headers = headerNames(req.Header)
	return s
}

// resourceOf catches the resource of the spans a provider starts.
type resourceOf struct{ s *Setup }

func (r resourceOf) OnStart(_ context.Context, span sdktrace.ReadWriteSpan) {
	for _, kv := range span.Resource().Attributes() {
		key := string(kv.Key)
		if key == "service.name" {
			r.s.Service = kv.Value.AsString()
		} else if !strings.HasPrefix(key, "telemetry.") && key != "service.instance.id" {
			r.s.Resource[key] = attrValue(kv.Value)
		}
	}
}
func (resourceOf) OnEnd(sdktrace.ReadOnlySpan)      {}
func (resourceOf) Shutdown(context.Context) error   { return nil }
func (resourceOf) ForceFlush(context.Context) error { return nil }

// probeOTel starts spans it never ends, so the provider's exporters get nothing.
func probeOTel(tp *sdktrace.TracerProvider) Setup {
	s := Setup{Installed: "otel", Resource: map[string]Value{}}
	tracer := tp.Tracer("probe")
	sampled := 0
	for i := 0; i < probeRoots; i++ {
		if _, sp := tracer.Start(context.Background(), "probe"); sp.SpanContext().IsSampled() {
			sampled++
		}
	}
	s.RootSampled = float64(sampled) / probeRoots
	remote := func(parentSampled bool) context.Context {
		flags := trace.TraceFlags(0)
		if parentSampled {
			flags = trace.FlagsSampled
		}
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{15: 7}, SpanID: trace.SpanID{7: 9}, TraceFlags: flags, Remote: true,
		})
		return trace.ContextWithRemoteSpanContext(context.Background(), sc)
	}
	child := func(parentSampled bool) bool {
		_, sp := tracer.Start(remote(parentSampled), "probe")
		return sp.SpanContext().IsSampled()
	}
	s.FollowsSampled, s.FollowsUnsampled = child(true), child(false)
	catch := resourceOf{&s}
	tp.RegisterSpanProcessor(catch)
	ctx, _ := tracer.Start(remote(true), "probe")
	tp.UnregisterSpanProcessor(catch)
	h := http.Header{}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
	s.Headers = headerNames(h)
	return s
}
