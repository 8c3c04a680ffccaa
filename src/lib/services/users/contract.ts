import { z } from 'zod';

/**
 * The users service's messages: the plans a subscription can have, a user as the service
 * answers, and a request for a new token.
 */

export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 86_400;
/** The longest token the operator may issue. */
export const MAX_OPERATOR_TOKEN_TTL_SECONDS = 365 * 86_400;

/** `POST /v1/users/:id/tokens` */
export const createToken = z.strictObject({
  ttlSeconds: z.number().int().min(1).max(MAX_OPERATOR_TOKEN_TTL_SECONDS).default(DEFAULT_TOKEN_TTL_SECONDS),
});

export interface Plan {
  id: string;
  name: string;
  priceCents: number;
  /** highest rendition the plan plays */
  maxHeight: number;
  maxStreams: number;
}

export const plans: readonly Plan[] = [
  { id: 'basic', name: 'Basic', priceCents: 699, maxHeight: 480, maxStreams: 1 },
  { id: 'standard', name: 'Standard', priceCents: 1549, maxHeight: 1080, maxStreams: 2 },
  { id: 'premium', name: 'Premium', priceCents: 2299, maxHeight: 2160, maxStreams: 4 },
];

export interface User {
  id: string;
  name: string;
  region: string;
  plan: Plan;
  subscription: { status: 'active' | 'cancelled'; startedAt: string; renewsAt: string };
  createdAt: string;
}
