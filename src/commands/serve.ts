import { Args, Flags } from '@oclif/core';
import { type ServiceId, serviceIds } from '../lib/cluster/service-kinds.js';
import { FlixCommand } from '../lib/core/command.js';
import { serveService } from '../lib/services/registry.js';

export default class Serve extends FlixCommand {
  static override summary =
    'Run one instance of a flix service (the runtime starts these; you rarely need to)';
  static override description =
    'Starts a service of a running cluster in the foreground with the cluster plan: it finds the engines through the plan, serves GET /health and GET /status on its component port (loopback only) and stops gracefully on SIGTERM. `flix up` starts every service instance the cluster file asks for.';

  static override examples = ['<%= config.bin %> serve transcoder --name default --component transcoder-a-1'];

  static override args = {
    service: Args.string({ description: 'service to run', required: true, options: [...serviceIds] }),
  };

  static override flags = {
    name: Flags.string({
      char: 'n',
      description: 'cluster name',
      default: process.env.FLIX_CLUSTER ?? 'default',
    }),
    component: Flags.string({ description: 'component name from the cluster plan', required: true }),
  };

  async run() {
    const { args, flags } = await this.parse(Serve);
    await serveService(args.service as ServiceId, flags.name, flags.component);
    // keeps running until SIGTERM
    await new Promise(() => {});
  }
}
