/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * line must be a HELP, a TYPE or a sample of a declared family, labels well quoted, values
 * numbers, histograms cumulative with their +Inf bucket equal to their count. Throws on anything else.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: "${text}" is not a number`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`line ${line}: malformed labels "${text}"`);
    if (m[1]! in labels) throw new Error(`line ${line}: label ${m[1]} twice`);
    labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined => {
    const direct = families.get(sample);
    if (direct) return direct;
    const base = sample.replace(/_(bucket|sum|count)$/, '');
    const family = families.get(base);
    return family && (family.type === 'histogram' || family.type === 'summary') ? family : undefined;
  };
  for (const [index, line] of text.split('\n').entries()) {
    const n = index + 1;
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string];
      const family = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
      families.set(name, family);
      if (what === 'HELP') family.help = rest;
      else if (/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) family.type = rest as Family['type'];
      else throw new Error(`line ${n}: unknown type "${rest}"`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${n}: not a sample: ${line}`);
    const family = familyOf(m[1]!);
    if (!family) throw new Error(`line ${n}: ${m[1]} has no # TYPE before it`);
    family.samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? '', n), value: parseValue(m[3]!, n) });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Each series of a histogram (one per label set but `le`): a _sum, a _count, cumulative buckets ending at +Inf = _count. */
function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || !samples.some((s) => s.name === `${family.name}_sum`)) throw new Error(`${family.name}${key}: no _sum or _count`);
    let last = 0;
    for (const b of buckets) {
      if (b.value < last) throw new Error(`${family.name}${key}: buckets not cumulative`);
      last = b.value;
    }
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    if (!inf || inf.value !== count.value) throw new Error(`${family.name}${key}: the +Inf bucket is not the count`);
  }
}

/** The value of the one sample named so with these labels (among others); throws when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
}
