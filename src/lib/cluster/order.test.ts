import { describe, expect, it } from 'vitest';
import { startWaves, stopWaves } from './order.js';

describe('dependency order', () => {
  const nodes = [
    { name: 'edge-a', dependsOn: ['origin'] },
    { name: 'kafka', dependsOn: [] },
    { name: 'origin', dependsOn: [] },
    { name: 'edge-b', dependsOn: ['origin'] },
    { name: 'catalog', dependsOn: ['edge-a', 'kafka'] },
  ];

  it('starts independent components together and dependents after their dependencies', () => {
    expect(startWaves(nodes)).toEqual([['kafka', 'origin'], ['edge-a', 'edge-b'], ['catalog']]);
  });

  it('stops in reverse order', () => {
    expect(stopWaves(nodes)).toEqual([['catalog'], ['edge-a', 'edge-b'], ['kafka', 'origin']]);
  });

  it('refuses a cycle and a missing dependency', () => {
    expect(() =>
      startWaves([
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
      ]),
    ).toThrow(/cycle/);
    expect(() => startWaves([{ name: 'edge-a', dependsOn: ['origin'] }])).toThrow(
      'component edge-a depends on origin, which is not in the cluster',
    );
  });
});
