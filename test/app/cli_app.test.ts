// `ultrasam app` options: bad ports and head counts are refused before anything starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerAppCommands } from '../../src/cli/app.js';

function program(): Command {
  const p = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerAppCommands(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined }));
  return p;
}

test('app refuses a bad port or head count', async () => {
  await assert.rejects(program().parseAsync(['node', 'ultrasam', 'app', '--port', '70000']), /not a port/);
  await assert.rejects(program().parseAsync(['node', 'ultrasam', 'app', '--port', 'x']), /not a port/);
  await assert.rejects(program().parseAsync(['node', 'ultrasam', 'app', '--decoder-heads', '0']), /not a positive integer/);
});

test('app with missing weights fails with a clear message', async () => {
  await assert.rejects(program().parseAsync(['node', 'ultrasam', 'app', '--weights', '/nonexistent/w.pth', '--port', '0']), /weights file not found/);
  await assert.rejects(program().parseAsync(['node', 'ultrasam', 'app', '--int8', '--weights', '/nonexistent/w.pth', '--port', '0']), /weights file not found/);
});
