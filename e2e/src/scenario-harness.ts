import { type FailureKind, ProxyPool } from '@proxy-pool/core';
import { ProxyFarm } from './farm/index.js';
import { SCENARIOS, type Scenario, type ScenarioRunner } from './scenarios.js';

export interface Reported {
  ok: boolean;
  kind?: FailureKind;
  status?: number | undefined;
}

/**
 * Opens a context on the pool's (only) proxy, navigates to `url`, waits for the report (the
 * browser's events can trail the navigation's own error under load), closes it. Errors are the
 * driver's to swallow.
 */
export type Driver = (pool: ProxyPool, url: string, waitForReport: () => Promise<void>) => Promise<void>;

export interface ScenarioRun {
  scenario: Scenario;
  expected: Scenario['expected'];
  reports: Reported[];
}

/**
 * Starts one farm with a proxy per scenario; `run` drives one scenario and returns what the pool
 * was told. `adapter` picks the expectations: `firefox` is Puppeteer's with Firefox.
 */
export async function scenarioBed(adapter: ScenarioRunner) {
  const farm = await ProxyFarm.start({ proxies: SCENARIOS.map((s) => s.proxy), sites: [{}, { https: true }] });
  const run = async (scenario: Scenario, drive: Driver): Promise<ScenarioRun> => {
    const index = SCENARIOS.indexOf(scenario);
    const proxy = farm.proxies[index]!;
    const site = farm.sites[scenario.https ? 1 : 0]!;
    const pool = new ProxyPool({ proxies: [proxy.url], targetHealth: false, maxWaitMs: 0 });
    const reports: Reported[] = [];
    pool.on('success', () => reports.push({ ok: true }));
    pool.on('failure', (e) => reports.push({ ok: false, kind: e.kind, status: e.status }));
    site.down = scenario.siteDown ?? false;
    const expected = scenario.expectedBy?.[adapter] ?? scenario.expected;
    // Scenarios that must report nothing wait 2 s; the others up to 5 s for their report (on a
    // loaded 2-core machine Chromium's failure event once trailed the navigation by over 2 s).
    const patienceMs = expected === 'unreported' ? 2_000 : 5_000;
    try {
      const waitForReport = async () => {
        for (let waited = 0; reports.length === 0 && waited < patienceMs; waited += 50) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 50)); // and a moment more, to catch a second (wrong) report
      };
      await drive(pool, site.url(scenario.path, `scenario-${index}.test`), waitForReport);
    } finally {
      site.down = false;
      await pool.close();
    }
    return { scenario, expected, reports };
  };
  return { farm, run, scenarios: SCENARIOS };
}

/** What a scenario's reports must look like. */
export function expectedReports(expected: Scenario['expected'], status?: number): Reported[] {
  if (expected === 'unreported') return [];
  if (expected === 'success') return [{ ok: true }];
  return [{ ok: false, kind: expected, status }];
}
