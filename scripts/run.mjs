#!/usr/bin/env node
// The quick-start entry point: `npm test`, `npm run demo` and `npm run bench` come here.
// On a fresh machine that has only Node.js and npm it installs what the project needs
// (pnpm from the npm registry, the workspace's dependencies, the Debian packages the
// command needs: Chromium, and the real proxy servers the e2e suite runs), then hands over
// to the real command. Each step is skipped when its result is already there, so the second
// run starts at once.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

// `apt`: the Debian packages a command needs, installed when missing (one `apt-get update`,
// then one `apt-get install` of every missing one).
const e2ePackages = ['chromium', 'squid', 'tinyproxy', 'microsocks', 'apache2-utils'];
const commands = {
  // Type-check first (fast, and the tests run the sources without it), then every test.
  test: {
    apt: [...e2ePackages, 'redis-server', 'firefox-esr'],
    run: ['exec', 'vitest', 'run'],
    before: [['exec', 'tsc', '-p', 'tsconfig.json']],
  },
  'test:unit': { apt: ['redis-server'], run: ['exec', 'vitest', 'run', '--project', 'unit'] },
  demo: { apt: ['chromium'], run: ['--filter', '@proxy-pool/demo', 'start'] },
  bench: { apt: [], run: ['--filter', '@proxy-pool/bench', 'start'] },
  'bench:crawl': { apt: ['chromium', 'firefox-esr'], run: ['--filter', '@proxy-pool/bench', 'crawl'] },
  'bench:crawlee': { apt: ['chromium'], run: ['--filter', '@proxy-pool/bench', 'crawlee'] },
  'bench:gateway': { apt: ['chromium'], run: ['--filter', '@proxy-pool/bench', 'gateway'] },
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

/** The command a package provides, where its name is not one (for machines without dpkg). */
const commandOf = { 'apache2-utils': 'htpasswd', 'dante-server': 'danted', 'redis-server': 'redis-server' };

function installed(pkg) {
  if (pkg === 'chromium' && existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) return true;
  const dpkg = spawnSync('dpkg-query', ['-W', '-f', '$' + '{Status}', pkg], { encoding: 'utf8' });
  if (dpkg.status === 0 && dpkg.stdout.includes('install ok installed')) return true;
  return spawnSync('sh', ['-c', `command -v ${commandOf[pkg] ?? pkg}`], { stdio: 'ignore' }).status === 0;
}

/** Installs the Debian packages of `wanted` that are missing, in one apt step. */
function ensurePackages(wanted) {
  if (wanted.includes('chromium') && process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
    console.error(`CHROMIUM_PATH is set to ${process.env.CHROMIUM_PATH}, but there is no file there.`);
    process.exit(1);
  }
  const missing = wanted.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!(isRoot && existsSync('/etc/debian_version') && has('apt-get', ['--version']))) {
    console.error(
      `This command needs these Debian packages: ${missing.join(', ')}. Install them (Debian/Ubuntu: \`sudo apt-get install ${missing.join(' ')}\`)` +
        (missing.includes('chromium') ? '\nor point CHROMIUM_PATH at a Chromium or Chrome binary' : '') +
        ', then run this command again.',
    );
    process.exit(1);
  }
  log(`installing Debian's ${missing.join(', ')} (once)`);
  // Squid's and tinyproxy's packages start a system service on install. The tests start
  // their own instances on free loopback ports and never use one; without systemd the start
  // may fail and fail the install. A policy-rc.d that says "no" keeps services down.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  const policyScript = '#!/bin/sh\n# Written by proxy-pool scripts/run.mjs during apt-get install; removed after.\nexit 101\n';
  if (ownPolicy) writeFileSync(policy, policyScript, { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let status;
  try {
    status = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status;
    if (status === 0) {
      status = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env }).status;
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  if (status !== 0) process.exit(status ?? 1);
}

const [pnpmCmd, pnpmArgs] = pnpm();
const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
run(pnpmCmd, [...pnpmArgs, 'install', ...frozen, '--reporter=append-only']);
ensurePackages(command.apt);
for (const step of command.before ?? []) run(pnpmCmd, [...pnpmArgs, ...step]);
run(pnpmCmd, [...pnpmArgs, ...command.run, ...extra]);
