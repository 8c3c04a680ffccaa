import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The integration suites share one cluster; the suite that proves `flix down` stops everything
 * takes that cluster down, so it runs after every other suite.
 */
export class ClusterLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const last = (f: TestSpecification) => f.moduleId.endsWith('cluster.integration.test.ts');
    return [...sorted.filter((f) => !last(f)), ...sorted.filter(last)];
  }
}
