import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { FlixError } from '../../lib/core/errors.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { renderTable } from '../../lib/core/table.js';
import { gatewayFilters } from '../../lib/ops/gateway-filters.js';
import { runningClusterEndpoints } from '../../lib/runtime/index.js';

export default class GatewayFiltersCommand extends FlixCommand {
  static override summary =
    "Show the gateways' filter chain (type, order, on/off, counters); switch a filter off or on";
  static override description =
    'Reads GET /_admin/filters on every gateway instance (directly, never through the ELB). --disable/--enable flips the kill switch of one filter on all of them first. Exit codes: 7 not running, 15 no such filter, 8 a gateway did not answer.';
  static override examples = [
    '<%= config.bin %> gateway filters',
    '<%= config.bin %> gateway filters --disable compression',
    '<%= config.bin %> gateway filters --enable compression --json',
  ];
  static override flags = {
    name: nameFlag,
    disable: Flags.string({
      description: 'switch this filter off on every gateway',
      helpValue: 'FILTER',
      exclusive: ['enable'],
    }),
    enable: Flags.string({
      description: 'switch this filter back on on every gateway',
      helpValue: 'FILTER',
      exclusive: ['disable'],
    }),
  };

  async run() {
    const { flags } = await this.parse(GatewayFiltersCommand);
    const endpoints = await runningClusterEndpoints(resolveClusterName(flags.name));
    const change =
      flags.disable !== undefined
        ? { filter: flags.disable, enabled: false }
        : flags.enable !== undefined
          ? { filter: flags.enable, enabled: true }
          : undefined;
    const gateways = await gatewayFilters(endpoints, change);
    if (!this.jsonEnabled()) {
      if (change)
        this.logToStderr(`${change.filter}: ${change.enabled ? 'enabled' : 'disabled'} on every gateway`);
      for (const g of gateways) {
        this.log(`${g.instance} (zone ${g.zone ?? '-'}, ${g.url})`);
        if (!g.filters) {
          this.log(`  not answering: ${g.error}`);
          continue;
        }
        this.log(
          renderTable(
            ['filter', 'type', 'order', 'enabled', 'runs', 'skipped', 'errors', 'rejections', 'in flight'],
            g.filters.map((f) => [
              f.name,
              f.type,
              String(f.order),
              f.enabled ? 'yes' : 'NO',
              String(f.runs),
              String(f.skipped),
              String(f.errors),
              String(f.rejections),
              `${f.inFlight}/${f.maxConcurrency}`,
            ]),
          ),
        );
      }
    }
    const silent = gateways.filter((g) => !g.filters);
    if (silent.length === gateways.length) {
      throw new FlixError('no gateway answered', {
        code: 'componentFailed',
        nextStep: '`flix status` shows the state of the gateway components',
        details: silent.map((g) => `${g.instance}: ${g.error}`).join('\n'),
      });
    }
    if (silent.length > 0) this.exitWith('componentFailed');
    return { change: change ?? null, gateways };
  }
}
