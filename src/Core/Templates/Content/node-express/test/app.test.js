'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createApp, greeting } = require('../src/app');

test('greeting names who it greets', () => {
  assert.equal(greeting('you'), 'Hello, you!');
});

test('GET /health answers ok', async () => {
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${server.address().port}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  } finally {
    server.close();
  }
});
