#!/usr/bin/env node
// The quick-start entry point: `npm test`, `npm run demo` and `npm run bench` come here.
// On a fresh machine that has only Node.js and npm it installs what the project needs
// (pnpm from the npm registry, the workspace's dependencies, Debian's Chromium when the
// command needs a browser), then hands over to the real command. Each step is skipped
// when its result is already there, so the second run starts at once.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

const commands = {
  // Type-check first (fast, and the tests run the sources without it), then every test.
  test: { browser: true, run: ['exec', 'vitest', 'run'], before: [['exec', 'tsc', '-p', 'tsconfig.json']] },
  'test:unit': { browser: false, run: ['exec', 'vitest', 'run', '--project', 'unit'] },
  demo: { browser: true, run: ['--filter', '@proxy-pool/demo', 'start'] },
  bench: { browser: false, run: ['--filter', '@proxy-pool/bench', 'start'] },
  'bench:crawl': { browser: true, run: ['--filter', '@proxy-pool/bench', 'crawl'] },
};

const [name, ...extra] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(commands).join('|')}> [args…]`);
  process.exit(2);
}

const log = (message) => console.error(`[setup] ${message}`);

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}

function pnpm() {
  if (has('pnpm') && execFileSync('pnpm', ['--version']).toString().trim() === pnpmVersion) {
    return ['pnpm', []];
  }
  // npx keeps its own cache, so this downloads pnpm once per machine, from the npm registry.
  log(`using pnpm ${pnpmVersion} through npx`);
  return ['npx', ['--yes', `pnpm@${pnpmVersion}`]];
}

function ensureChromium() {
  const wanted = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(wanted)) return;
  if (process.env.CHROMIUM_PATH) {
    console.error(`CHROMIUM_PATH is set to ${wanted}, but there is no file there.`);
    process.exit(1);
  }
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/etc/debian_version') && has('apt-get', ['--version'])) {
    log("installing Debian's chromium package (once)");
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return;
  }
  console.error(
    'The browser tests need Chromium at /usr/bin/chromium. Install it (Debian/Ubuntu: `sudo apt-get install chromium`)\n' +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary, then run this command again.',
  );
  process.exit(1);
}

const [pnpmCmd, pnpmArgs] = pnpm();
const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
run(pnpmCmd, [...pnpmArgs, 'install', ...frozen, '--reporter=append-only']);
if (command.browser) ensureChromium();
for (const step of command.before ?? []) run(pnpmCmd, [...pnpmArgs, ...step]);
run(pnpmCmd, [...pnpmArgs, ...command.run, ...extra]);
