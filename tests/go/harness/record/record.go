// Package record installs in-memory recorders for the legacy tracers and for the OTel SDK, and dumps what
// they recorded as raw JSON spans. It maps nothing: the Python side (tests/go/spantree.py) normalises both
// dumps to span trees, so that the comparison does not share code with the rewriter.
package record

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	jaeger "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Value is a recorded tag, field or attribute value with its type class: int, float, bool, string, list
// or other (anything else, as fmt.Sprint would print it).
type Value struct {
	T string `json:"t"`
	V any    `json:"v"`
}

// Field is one key of a log record or event.
type Field struct {
	K string `json:"k"`
	Value
}

// Span is one recorded span, before any normalisation.
type Span struct {
	ID           string           `json:"id"`
	Parent       string           `json:"parent"`
	RemoteParent bool             `json:"remote_parent,omitempty"`
	Name         string           `json:"name"`
	Kind         string           `json:"kind,omitempty"`
	Status       string           `json:"status,omitempty"`
	Tags         map[string]Value `json:"tags"`
	Events       []Event          `json:"events"`
	Links        []Link           `json:"links,omitempty"`
	Scope        string           `json:"scope,omitempty"` // the OTel instrumentation scope's name
}

// Link is an OTel link, or a legacy span reference (RefType "child_of" / "follows_from", no attributes).
type Link struct {
	Span    string           `json:"span"`
	RefType string           `json:"ref_type,omitempty"`
	Attrs   map[string]Value `json:"attrs,omitempty"`
}

// Event is a log record (legacy) or span event / zipkin annotation.
type Event struct {
	Name   string  `json:"name,omitempty"`
	Fields []Field `json:"fields"`
}

func value(v any) Value {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return Value{"other", "<nil>"}
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Value{"int", rv.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Value{"int", rv.Uint()}
	case reflect.Float32, reflect.Float64:
		return Value{"float", rv.Float()}
	case reflect.Bool:
		return Value{"bool", rv.Bool()}
	case reflect.String:
		return Value{"string", rv.String()}
	case reflect.Slice, reflect.Array:
		if j, err := json.Marshal(v); err == nil {
			return Value{"list", string(j)}
		}
	}
	return Value{"other", fmt.Sprint(v)}
}

var refTypes = map[opentracing.SpanReferenceType]string{
	opentracing.ChildOfRef:     "child_of",
	opentracing.FollowsFromRef: "follows_from",
}

// Recorder runs one case and returns its spans.
type Recorder interface {
	Spans() []Span
}

// Mock installs a fresh opentracing mocktracer as the global tracer. The mocktracer keeps no span
// references, so the global tracer is a wrapper that notes each new span's references (for links).
type Mock struct {
	t    *mocktracer.MockTracer
	mu   sync.Mutex
	refs map[int][]Link
}

type refTracer struct {
	*mocktracer.MockTracer
	m *Mock
}

func (r refTracer) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	span := r.MockTracer.StartSpan(name, opts...)
	sso := opentracing.StartSpanOptions{}
	for _, o := range opts {
		o.Apply(&sso)
	}
	id := span.Context().(mocktracer.MockSpanContext).SpanID
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	for _, ref := range sso.References {
		if sc, ok := ref.ReferencedContext.(mocktracer.MockSpanContext); ok {
			r.m.refs[id] = append(r.m.refs[id], Link{Span: fmt.Sprint(sc.SpanID), RefType: refTypes[ref.Type]})
		}
	}
	return span
}

func NewMock() *Mock {
	m := &Mock{t: mocktracer.New(), refs: map[int][]Link{}}
	opentracing.SetGlobalTracer(refTracer{m.t, m})
	return m
}

func (m *Mock) Spans() []Span {
	var out []Span
	for _, s := range m.t.FinishedSpans() {
		sp := Span{ID: fmt.Sprint(s.SpanContext.SpanID), Name: s.OperationName, Tags: map[string]Value{}}
		if s.ParentID != 0 {
			sp.Parent = fmt.Sprint(s.ParentID)
		}
		sp.Links = m.refs[s.SpanContext.SpanID]
		for k, v := range s.Tags() {
			sp.Tags[k] = value(v)
		}
		for _, rec := range s.Logs() {
			ev := Event{Fields: []Field{}}
			for _, f := range rec.Fields {
				ev.Fields = append(ev.Fields, Field{f.Key, mockValue(f)})
			}
			sp.Events = append(sp.Events, ev)
		}
		out = append(out, sp)
	}
	return out
}

// mockValue recovers the type class of a mocktracer log field, which stores values as strings.
func mockValue(f mocktracer.MockKeyValue) Value {
	var v any
	switch f.ValueKind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool:
		if err := json.Unmarshal([]byte(f.ValueString), &v); err == nil {
			return value(v)
		}
	case reflect.String:
		return Value{"string", f.ValueString}
	}
	return Value{"other", f.ValueString}
}

// Jaeger installs a jaeger-client-go tracer with an in-memory reporter as the global tracer.
type Jaeger struct {
	rep    *jaeger.InMemoryReporter
	closer interface{ Close() error }
}

func NewJaeger() *Jaeger {
	rep := jaeger.NewInMemoryReporter()
	tracer, closer := jaeger.NewTracer("harness", jaeger.NewConstSampler(true), rep)
	opentracing.SetGlobalTracer(tracer)
	return &Jaeger{rep, closer}
}

func (j *Jaeger) Spans() []Span {
	var out []Span
	for _, os := range j.rep.GetSpans() {
		s := os.(*jaeger.Span)
		sc := s.SpanContext()
		sp := Span{ID: sc.SpanID().String(), Name: s.OperationName(), Tags: map[string]Value{}}
		if sc.ParentID() != 0 {
			sp.Parent = sc.ParentID().String()
		}
		for _, ref := range s.References() {
			if rc, ok := ref.ReferencedContext.(jaeger.SpanContext); ok {
				sp.Links = append(sp.Links, Link{Span: rc.SpanID().String(), RefType: refTypes[ref.Type]})
			}
		}
		for k, v := range s.Tags() {
			sp.Tags[k] = value(v)
		}
		for _, rec := range s.Logs() {
			ev := Event{Fields: []Field{}}
			for _, f := range rec.Fields {
				ev.Fields = append(ev.Fields, Field{f.Key(), value(f.Value())})
			}
			sp.Events = append(sp.Events, ev)
		}
		out = append(out, sp)
	}
	return out
}

// Zipkin builds a zipkin-go tracer that reports to an in-memory recorder. Its server spans get their own
// ids (WithSharedSpans(false)): zipkin-go's default shares one id between the client and server halves of
// an RPC, which OTel does not do (api-mapping §3.3, "not supported"); with separate ids the recorded tree
// says which spans the server side started, which a shared id hides.
type Zipkin struct {
	rep    *recorder.ReporterRecorder
	Tracer *zipkin.Tracer
}

func NewZipkin() *Zipkin {
	rep := recorder.NewReporter()
	t, err := zipkin.NewTracer(rep, zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
	if err != nil {
		panic(err)
	}
	return &Zipkin{rep, t}
}

func (z *Zipkin) Spans() []Span {
	var out []Span
	for _, s := range z.rep.Flush() {
		sp := Span{ID: s.ID.String(), Name: s.Name, Kind: string(s.Kind), Tags: map[string]Value{}}
		if s.ParentID != nil {
			sp.Parent = s.ParentID.String()
		}
		for k, v := range s.Tags {
			sp.Tags[k] = value(v)
		}
		for _, a := range s.Annotations {
			sp.Events = append(sp.Events, Event{Name: a.Value, Fields: []Field{}})
		}
		out = append(out, sp)
	}
	return out
}

var (
	otelOnce     sync.Once
	otelProvider *sdktrace.TracerProvider
)

// OTel records the spans of one case with a tracetest.SpanRecorder attached to the one global SDK
// provider (the provider is installed once, because tracers taken from the global before the first
// SetTracerProvider stay bound to it).
type OTel struct{ rec *tracetest.SpanRecorder }

func NewOTel() *OTel {
	otelOnce.Do(func() {
		otelProvider = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
		otel.SetTracerProvider(otelProvider)
	})
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}, b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader))))
	o := &OTel{tracetest.NewSpanRecorder()}
	otelProvider.RegisterSpanProcessor(o.rec)
	return o
}

// Provider is the SDK provider the case's spans are recorded from.
func (o *OTel) Provider() *sdktrace.TracerProvider { return otelProvider }

func attrValue(v attribute.Value) Value {
	switch v.Type() {
	case attribute.INT64:
		return Value{"int", v.AsInt64()}
	case attribute.FLOAT64:
		return Value{"float", v.AsFloat64()}
	case attribute.BOOL:
		return Value{"bool", v.AsBool()}
	case attribute.STRING:
		return Value{"string", v.AsString()}
	}
	j, err := json.Marshal(v.AsInterface())
	if err != nil {
		return Value{"other", v.Emit()}
	}
	return Value{"list", string(j)}
}

func (o *OTel) Spans() []Span {
	otelProvider.UnregisterSpanProcessor(o.rec)
	var out []Span
	for _, s := range o.rec.Ended() {
		sp := Span{
			ID: s.SpanContext().SpanID().String(), Name: s.Name(), Kind: s.SpanKind().String(),
			Status: s.Status().Code.String(), Tags: map[string]Value{}, Scope: s.InstrumentationScope().Name,
		}
		if p := s.Parent(); p.IsValid() {
			sp.Parent, sp.RemoteParent = p.SpanID().String(), p.IsRemote()
		}
		for _, kv := range s.Attributes() {
			sp.Tags[string(kv.Key)] = attrValue(kv.Value)
		}
		for _, e := range s.Events() {
			ev := Event{Name: e.Name, Fields: []Field{}}
			for _, kv := range e.Attributes {
				ev.Fields = append(ev.Fields, Field{string(kv.Key), attrValue(kv.Value)})
			}
			sp.Events = append(sp.Events, ev)
		}
		for _, l := range s.Links() {
			link := Link{Span: l.SpanContext.SpanID().String(), Attrs: map[string]Value{}}
			for _, kv := range l.Attributes {
				link.Attrs[string(kv.Key)] = attrValue(kv.Value)
			}
			sp.Links = append(sp.Links, link)
		}
		out = append(out, sp)
	}
	return out
}
