'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { handler, root } = require('./serve');

test('every local link and stylesheet in site/ resolves', () => {
  for (const page of fs.readdirSync(root).filter((f) => f.endsWith('.html'))) {
    const html = fs.readFileSync(path.join(root, page), 'utf8');
    for (const [, target] of html.matchAll(/(?:href|src)="([^"#:]+)"/g)) {
      assert.ok(fs.existsSync(path.join(root, target)), `${page} links to ${target}, which is missing`);
    }
  }
});

test('the server answers /health and pages, and refuses paths outside site/', async () => {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/`)).status, 200);
    assert.equal((await fetch(`${base}/..%2fpackage.json`)).status, 404);
  } finally {
    server.close();
  }
});
