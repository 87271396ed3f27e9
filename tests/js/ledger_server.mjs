// A real `ledger serve` with the demonstration data, for the node test
// projects (tests/api, web/tests). Only node's own modules: it is imported by
// relative path from projects with different packages.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh directory (prefix `prefix`) whose data/ holds the demonstration
// programme (`ledger demo`), with the demonstration tokens by role.
export function demoData(bin, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, 'data');
  execFileSync(bin, ['demo', '--data', data], { stdio: 'ignore' });
  const tokens = {};
  for (const line of readFileSync(join(data, 'demo-tokens.txt'), 'utf8').trim().split('\n')) {
    const parts = line.split(' ');
    tokens[parts[0]] = parts[parts.length - 1];
  }
  return { dir, data, tokens };
}

// Starts `ledger serve` on a free loopback port over `data` (with `args`
// after the others); resolves to the process and its base URL, read from the
// first line it prints.
export async function serve(bin, data, args = []) {
  const server = spawn(bin, ['serve', '--data', data, '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error('server exited ' + code)));
  });
  return { server, base };
}

// Stops `server` (if it runs) and removes `dir`. The server saves a
// checkpoint as it stops: the directory goes only once it has exited.
export async function stop(server, dir) {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}
