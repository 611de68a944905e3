import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRotation } from './pass';

const key = (provider: { cluster: string; capacityProvider: string }) =>
  `${provider.cluster}/${provider.capacityProvider}`;

describe('inRotation', () => {
  it('takes the providers a tick left first, in their order, then the others in configured order; none lost', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b'), fc.stringMatching(/^[a-z]{1,4}$/)), {
          selector: ([cluster, name]) => `${cluster}/${name}`,
          maxLength: 12,
        }),
        fc.array(fc.nat(20), { maxLength: 12 }),
        (pairs, picks) => {
          const providers = pairs.map(([cluster, capacityProvider]) => ({ cluster, capacityProvider }));
          // Left by the last tick: some configured providers (unique), and one no longer configured.
          const left = [
            ...new Set(picks.flatMap((n) => (providers[n] ? [key(providers[n])] : []))),
            'gone/provider',
          ];
          const order = inRotation(providers, left);
          expect(order.map(key).sort()).toEqual(providers.map(key).sort());
          const firsts = left.filter((k) => k !== 'gone/provider');
          expect(order.slice(0, firsts.length).map(key)).toEqual(firsts);
          const rest = order.slice(firsts.length);
          expect(rest).toEqual(providers.filter((provider) => !firsts.includes(key(provider))));
        },
      ),
    );
  });
});
