import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';

const guide = readFileSync(join(import.meta.dirname, '../../../docs/guide.md'), 'utf8');

describe('the guide', () => {
  it('documents every error code', () => {
    for (const [name, code] of Object.entries(core.ERROR_CODES)) {
      expect(guide, `${name} (${code})`).toContain(`\`${code}\``);
      expect(guide, name).toContain(`\`${name}\``);
    }
  });

  it('documents every failure kind and every rotation strategy', () => {
    for (const kind of core.FAILURE_KINDS) expect(guide).toMatch(new RegExp(`\\| \`${kind}\` +\\|`));
    for (const rotation of core.ROTATION_NAMES) expect(guide).toContain(`\`${rotation}\``);
  });

  it('mentions every export of core in the API reference', () => {
    const reference = guide.slice(guide.indexOf('## API reference'));
    const missing = Object.keys(core).filter((name) => !reference.includes(name));
    expect(missing).toEqual([]);
  });
});
