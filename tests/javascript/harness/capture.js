'use strict';
// Runs ONE fixture program inside a worker thread and posts back the spans it produced, as raw records.
// The fixture's source is never edited: the harness swaps the libraries' set-up points for in-memory ones
// before the program loads them (same module cache, so the program gets the patched exports).
//   legacy side: opentracing's global tracer -> a MockTracer that also records parents and can
//                inject/extract; jaeger-client initTracer -> InMemoryReporter + const sampler;
//                zipkin Tracer -> a capturing recorder + alwaysSample.
//   otel side:   every TracerProvider exports to one InMemorySpanExporter (its own processors are
//                replaced, so nothing goes to the network) with an always-on sampler; register()
//                replaces whatever the harness or an earlier provider registered.
const path = require('path');
const {parentPort, workerData} = require('worker_threads');
const {pathToFileURL} = require('url');

const {file, side} = workerData;
const fixtureRequire = require('module').createRequire(file);
const raw = [];

function setUpLegacy() {
  const opentracing = fixtureRequire('opentracing');
  const {MockTracer} = fixtureRequire('opentracing/lib/mock_tracer');
  const byUuid = new Map();
  const HEADER = 'x-mock-span';

  class RecordingMockTracer extends MockTracer {
    startSpan(name, options = {}) {
      // references given explicitly become links; startSpan folds childOf into them, so note them first
      this._explicitRefs = (options.references || []).map((r) => r.type());
      return super.startSpan(name, options);
    }

    _startSpan(name, fields) {
      const span = super._startSpan(name, fields);
      const refs = fields.references || [];
      const parentRef = refs.find((r) => r.type() === opentracing.REFERENCE_CHILD_OF) || refs[0];
      span._parentUuid = parentRef ? parentRef.referencedContext().span().uuid() : null;
      span._links = this._explicitRefs || [];
      if (fields.startTime !== undefined) span._startMs = fields.startTime;
      if (fields.tags) span.addTags(fields.tags); // MockTracer drops start tags; real tracers keep them
      byUuid.set(span.uuid(), span);
      return span;
    }

    _inject(spanContext, format, carrier) {
      if (format === opentracing.FORMAT_BINARY) throw new Error('binary format not supported');
      carrier[HEADER] = spanContext.span().uuid();
    }

    _extract(format, carrier) {
      const span = byUuid.get(carrier[HEADER]);
      return span ? span.context() : null;
    }
  }

  const mock = new RecordingMockTracer();
  opentracing.initGlobalTracer(mock);
  const collectors = [() => mock.report().spans.map((s) => ({lib: 'opentracing', span: s}))];

  let jaeger = null;
  try {
    jaeger = fixtureRequire('jaeger-client');
  } catch (e) { /* not installed: opentracing-only fixtures */ }
  if (jaeger) {
    const reporters = [];
    const wrap = (init) => (config, options = {}) => {
      const reporter = new jaeger.InMemoryReporter();
      reporters.push(reporter);
      const tracer = init({...config, sampler: {type: 'const', param: 1}}, {...options, reporter});
      reporter._serviceName = tracer._serviceName;
      return tracer;
    };
    jaeger.initTracer = wrap(jaeger.initTracer);
    jaeger.initTracerFromEnv = wrap(jaeger.initTracerFromEnv);
    collectors.push(() => reporters.flatMap(
      (r) => r.spans.map((s) => ({lib: 'jaeger', service: r._serviceName, span: s}))));
  }

  let zipkin = null;
  try {
    zipkin = fixtureRequire('zipkin');
  } catch (e) { /* not installed */ }
  if (zipkin) {
    const records = [];
    const Original = zipkin.Tracer;
    zipkin.Tracer = class CapturedTracer extends Original {
      constructor(options) {
        super({...options, recorder: {record: (rec) => records.push(rec)},
          sampler: new zipkin.sampler.Sampler(() => true)});
      }
    };
    collectors.push(() => [{lib: 'zipkin', records}]);
  }
  return () => collectors.flatMap((c) => c());
}

function setUpOtel() {
  const api = fixtureRequire('@opentelemetry/api');
  const sdkTrace = require(fixtureRequire.resolve('@opentelemetry/sdk-trace',
    {paths: [path.dirname(fixtureRequire.resolve('@opentelemetry/sdk-trace-base'))]}));
  const base = fixtureRequire('@opentelemetry/sdk-trace-base');
  const node = fixtureRequire('@opentelemetry/sdk-trace-node');
  const exporter = new base.InMemorySpanExporter();
  const processor = new base.SimpleSpanProcessor(exporter);
  const sampler = new base.AlwaysOnSampler();

  const getTracer = sdkTrace.TracerProvider.prototype.getTracer;
  sdkTrace.TracerProvider.prototype.getTracer = function patchedGetTracer(...args) {
    this._tracerOptions.spanProcessor = processor;
    this._tracerOptions.sampler = sampler;
    return getTracer.apply(this, args);
  };
  const register = node.NodeTracerProvider.prototype.register;
  node.NodeTracerProvider.prototype.register = function patchedRegister(...args) {
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
    return register.apply(this, args);
  };
  // API-only programs install no provider: give them one (the program's own register() replaces it).
  new node.NodeTracerProvider().register();
  return () => exporter.getFinishedSpans().map((s) => ({lib: 'otel', span: s}));
}

function plain(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return String(value);
  return value;
}

function toRaw(item) {
  if (item.lib === 'otel') {
    const s = item.span;
    return [{
      id: s.spanContext().spanId,
      parent: s.parentSpanContext ? s.parentSpanContext.spanId : null,
      name: s.name,
      kind: s.kind,
      attributes: s.attributes,
      status: s.status.code,
      events: s.events.map((e) => e.name),
      links: s.links.map((l) => (l.attributes || {})['opentracing.ref_type'] || null),
      service: s.resource.attributes['service.name'] || null,
      scope: s.instrumentationScope.name,
      durationMs: s.duration[0] * 1e3 + s.duration[1] / 1e6,
    }];
  }
  if (item.lib === 'opentracing') {
    const s = item.span;
    return [{
      id: s.uuid(),
      parent: s._parentUuid,
      name: s.operationName(),
      tags: s.tags(),
      logs: s._logs.map((l) => l.fields),
      links: s._links,
      finished: s._finishMs !== 0,
      service: null,
    }];
  }
  if (item.lib === 'jaeger') {
    const s = item.span;
    const ctx = s.context();
    const tags = {};
    for (const t of s._tags) tags[t.key] = t.value;
    return [{
      id: ctx.spanIdStr,
      parent: ctx.parentIdStr || null,
      name: s.operationName,
      tags,
      logs: s._logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value]))),
      links: (s._references || []).map((r) => r.type()),
      finished: true,
      service: item.service,
    }];
  }
  // zipkin: fold annotation records into spans, keyed by span id.
  const spans = new Map();
  for (const rec of item.records) {
    const id = rec.traceId.spanId;
    if (!spans.has(id)) {
      spans.set(id, {id, parent: rec.traceId.parentSpanId.getOrElse(null), annotations: []});
    }
    const a = rec.annotation;
    spans.get(id).annotations.push({type: a.annotationType, name: a.name || null,
      key: a.key || null, value: plain(a.value), message: a.message || null,
      serviceName: a.serviceName || null});
  }
  return [...spans.values()];
}

async function main() {
  const collect = side === 'legacy' ? setUpLegacy() : setUpOtel();
  let error = null;
  process.on('beforeExit', () => {
    if (process.exitCode === undefined || process.exitCode === 0) {
      parentPort.postMessage({error, lib: null, spans: collect().flatMap((i) => toRaw(i).map(
        (r) => ({lib: i.lib, ...r})))});
      process.exitCode = 0;
    }
    process.removeAllListeners('beforeExit');
  });
  try {
    if (file.endsWith('.mjs')) {
      await import(pathToFileURL(file).href);
    } else {
      require(file);
    }
  } catch (e) {
    error = String(e && e.stack ? e.stack : e);
  }
}

process.on('unhandledRejection', (e) => {
  parentPort.postMessage({error: `unhandled rejection: ${e && e.stack ? e.stack : e}`, spans: []});
  process.exit(1);
});
main();
