'use strict';
const express = require('express');

function createApp() {
  const app = express();
  app.get('/health', (req, res) => res.json({ status: 'ok' }));
  app.get('/', (req, res) => res.json({ name: '{{projectName}}', message: greeting('world') }));
  return app;
}

function greeting(who) {
  return `Hello, ${who}!`;
}

module.exports = { createApp, greeting };
