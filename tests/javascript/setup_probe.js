'use strict';
// What a program's tracer set-up configures, legacy (jaeger-client initTracer*, zipkin Tracer) or
// OpenTelemetry (NodeTracerProvider + register): per set-up the service name, the other process tags /
// resource attributes, the sampler (its toString) and the header names the set-up injects. The program
// runs for real; the set-up points are wrapped (nothing is sent over the network) before it loads them.
// Usage: node setup_probe.js legacy|otel program.{js,mjs}  → prints [{service, attributes, sampler, headers}]
const {pathToFileURL} = require('url');

const [side, file] = process.argv.slice(2);
const programRequire = require('module').createRequire(file);
const probes = [];
const MARK = 'otmigrate-setup-probe: ';  // the program prints too: the result is the marked line

function optional(name) {
  try {
    return programRequire(name);
  } catch (e) {
    return null;
  }
}

function probeLegacy() {
  const jaeger = optional('jaeger-client');
  if (jaeger) {
    const ownTags = new Set(['jaeger.version', 'hostname', 'ip', 'client-uuid']);
    const wrap = (init) => (config = {}, options = {}) => {
      const remote = !config.sampler || config.sampler.type === 'remote';
      // a remote sampler would poll the agent: jaeger starts it as probabilistic(param or 0.001)
      const sampler = remote ? {type: 'probabilistic', param: (config.sampler || {}).param || 0.001} : config.sampler;
      const tracer = init({...config, sampler}, {...options, reporter: new jaeger.InMemoryReporter()});
      probes.push(() => {
        const headers = {};
        tracer.inject(tracer.startSpan('probe').context(), 'http_headers', headers);
        const attributes = Object.fromEntries(Object.entries(tracer._tags).filter(([k]) => !ownTags.has(k)));
        return {service: tracer._serviceName, attributes, sampler: String(tracer._sampler), headers: Object.keys(headers)};
      });
      return tracer;
    };
    jaeger.initTracer = wrap(jaeger.initTracer);
    jaeger.initTracerFromEnv = wrap(jaeger.initTracerFromEnv);
  }
  const zipkin = optional('zipkin');
  if (zipkin) {
    const Original = zipkin.Tracer;
    zipkin.Tracer = class ProbedTracer extends Original {
      constructor(options) {
        super({...options, recorder: {record() {}}});
        const sampler = options.sampler ? String(options.sampler) : 'always sample';
        probes.push(() => {
          const request = zipkin.Request.addZipkinHeaders({}, this.createRootId());
          return {service: options.localServiceName || 'unknown', attributes: options.defaultTags || {},
            sampler, headers: Object.keys(request.headers)};
        });
      }
    };
  }
}

function probeOtel() {
  const api = programRequire('@opentelemetry/api');
  const node = programRequire('@opentelemetry/sdk-trace-node');
  const register = node.NodeTracerProvider.prototype.register;
  // the package exports getters: the prototype is what can be wrapped
  node.NodeTracerProvider.prototype.register = function probedRegister(options) {
    this._activeSpanProcessor._spanProcessors.length = 0; // no exporter reaches the network
    register.call(this, options);
    const attributes = {...this._resource.attributes};
    const service = attributes['service.name'];
    delete attributes['service.name'];
    const spanContext = {traceId: '463ac35c9f6413ad48485a3953bb6124', spanId: '48485a3953bb6124', traceFlags: 1};
    const headers = {};
    api.propagation.inject(api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext), headers);
    const probe = {service, attributes, sampler: String(this._tracerOptions.sampler), headers: Object.keys(headers)};
    probes.push(() => probe);
  };
}

async function main() {
  if (side === 'legacy') probeLegacy(); else probeOtel();
  process.on('beforeExit', () => {
    process.stdout.write(`\n${MARK}${JSON.stringify(probes.map((probe) => probe()))}\n`);
    process.removeAllListeners('beforeExit');
  });
  if (file.endsWith('.mjs')) await import(pathToFileURL(file).href); else require(file);
}

main();
