import type { ServiceContext, ServiceHandle } from '../services/runtime.js';

/** Placeholder until this service is written: answers /health and /status only. */
export async function startUsersService(_ctx: ServiceContext): Promise<ServiceHandle> {
  return { async stop() {}, status: () => ({ placeholder: true }) };
}
