import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as kit from '../src/index.js';

const guide = readFileSync(join(import.meta.dirname, '../../../docs/guide.md'), 'utf8');

describe('the guide', () => {
  it('mentions every export of the browser kit in its API reference section', () => {
    const start = guide.indexOf('### `@proxy-pool/browser`');
    expect(start).toBeGreaterThan(-1);
    const section = guide.slice(start, guide.indexOf('\n### ', start + 1));
    const missing = Object.keys(kit).filter((name) => !section.includes(`\`${name}`));
    expect(missing).toEqual([]);
  });
});
