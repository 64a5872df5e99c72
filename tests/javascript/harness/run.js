'use strict';
// Runs many fixture programs in one node process, each in its own worker thread (own module cache and
// globals), and prints {id: {error, spans}} as JSON. Usage: node run.js cases.json [concurrency]
// where cases.json is [{"id", "file" (absolute), "side": "legacy" | "otel"}].
const fs = require('fs');
const path = require('path');
const {Worker} = require('worker_threads');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const concurrency = parseInt(process.argv[3] || '2', 10);
const TIMEOUT_MS = 20000;
const results = {};

function runOne(c) {
  return new Promise((resolve) => {
    const worker = new Worker(path.join(__dirname, 'capture.js'), {workerData: c, stdout: true});
    let output = '';
    worker.stdout.on('data', (d) => { output += d; });
    let result = null;
    const timer = setTimeout(() => {
      result = {error: `timed out after ${TIMEOUT_MS} ms`, spans: []};
      worker.terminate();
    }, TIMEOUT_MS);
    worker.on('message', (m) => { result = result || m; });
    worker.on('error', (e) => { result = {error: String(e && e.stack ? e.stack : e), spans: []}; });
    worker.on('exit', () => {
      clearTimeout(timer);
      results[c.id] = {...(result || {error: 'exited without reporting', spans: []}), stdout: output};
      resolve();
    });
  });
}

async function main() {
  const queue = [...cases];
  const lanes = Array.from({length: concurrency}, async () => {
    while (queue.length) await runOne(queue.shift());
  });
  await Promise.all(lanes);
  process.stdout.write(JSON.stringify(results));
}

main();
