import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Spacing } from '../src/pool/spacing.js';

/**
 * Spacing keeps a target's starts in a Map or, once many members have one, in an array by
 * position: whichever it uses, it must answer as a plain record of every start would.
 */
describe('spacing (property, against a model of every start)', () => {
  it('answers nextStartAt as the model does, sparse or dense, across moves, removals and sweeps', () => {
    const op = fc.oneof(
      fc.record({ type: fc.constant('start' as const), target: fc.integer({ min: 0, max: 2 }), index: fc.nat() }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ type: fc.constant('remove' as const), index: fc.nat() }),
      fc.record({ type: fc.constant('add' as const) }),
      fc.record({ type: fc.constant('prune' as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.constantFrom(1, 3, 1_024),
        fc.integer({ min: 1, max: 40 }),
        fc.array(op, { maxLength: 200 }),
        (intervalMs, denseAbove, initialMembers, ops) => {
          let members = initialMembers;
          let now = 1_000;
          const spacing = new Spacing(intervalMs, () => members, denseAbove);
          // The model: target → position → last start.
          const model = new Map<number, Map<number, number>>();
          const expectSame = () => {
            for (let target = 0; target < 3; target++)
              for (let index = 0; index < members; index++) {
                const last = model.get(target)?.get(index);
                const expected = last === undefined || last + intervalMs <= now ? undefined : last + intervalMs;
                const next = spacing.nextStartAt(`t${target}`, index);
                expect(next > now ? next : undefined).toBe(expected);
              }
          };
          for (const o of ops) {
            if (o.type === 'start' && members > 0) {
              const index = o.index % members;
              spacing.started(`t${o.target}`, index, now);
              if (!model.has(o.target)) model.set(o.target, new Map());
              model.get(o.target)!.set(index, now);
            } else if (o.type === 'advance') now += o.ms;
            else if (o.type === 'add') members++;
            else if (o.type === 'prune') spacing.prune(now);
            else if (o.type === 'remove' && members > 0) {
              // As the pool removes: the last member moves into the removed one's place.
              const index = o.index % members;
              const last = members - 1;
              if (index === last) spacing.removed(index);
              else spacing.moved(last, index);
              for (const starts of model.values()) {
                const moved = starts.get(last);
                starts.delete(index);
                starts.delete(last);
                if (index !== last && moved !== undefined) starts.set(index, moved);
              }
              members--;
            }
            expectSame();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
