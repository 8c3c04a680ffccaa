import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The cluster's identity on every call inside it. A caller (a component, or the operator's
 * commands) sends `x-flix-internal: <caller>.<expires>.<mac>`, where mac is the HMAC-SHA256 of
 * `<caller>.<expires>` under the cluster's internal key (a secret file only the cluster's user can
 * read). Services answer nothing but `/health` without a valid one, and honour identity headers
 * (`x-flix-user-id` and the like) only on calls that carry one, so a process on the machine that
 * lacks the key can neither read nor change anything, nor register a fake instance.
 *
 * A token lives a few minutes and is reused for every call meanwhile; a verified token is
 * remembered until it expires, so checking one costs a map lookup on the hot path.
 */

export const INTERNAL_HEADER = 'x-flix-internal';

/** The caller name the operator's commands (`flix users …`, `flix status`, …) sign as. */
export const OPERATOR = 'operator';

const CALLER = /^[a-z0-9][a-z0-9-]{0,63}$/;
const LIFETIME_SECONDS = 300;
/** a token is renewed this long before it expires, so one in flight never arrives expired */
const RENEW_BEFORE_SECONDS = 60;

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** Makes this caller's token, renewing it before it expires. */
export class InternalSigner {
  private token = '';
  private expires = 0;

  constructor(
    private readonly key: string,
    readonly caller: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (!CALLER.test(caller)) throw new Error(`'${caller}' cannot sign internal calls: not a component name`);
    if (!key) throw new Error('the cluster has no internal key');
  }

  /** The value of the `x-flix-internal` header. */
  header(): string {
    const now = this.nowSeconds();
    if (now >= this.expires - RENEW_BEFORE_SECONDS) {
      this.expires = now + LIFETIME_SECONDS;
      const payload = `${this.caller}.${this.expires}`;
      this.token = `${payload}.${mac(this.key, payload)}`;
    }
    return this.token;
  }

  headers(): Record<string, string> {
    return { [INTERNAL_HEADER]: this.header() };
  }
}

/** Checks internal tokens; remembers the good ones until they expire. */
export class InternalVerifier {
  private readonly good = new Map<string, { caller: string; expires: number }>();

  constructor(
    private readonly key: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (!key) throw new Error('the cluster has no internal key');
  }

  /** The caller a token names, or null when it is missing, forged, malformed or expired. */
  verify(token: string | string[] | undefined): string | null {
    if (typeof token !== 'string' || token.length > 200) return null;
    const now = this.nowSeconds();
    const known = this.good.get(token);
    if (known) {
      if (known.expires > now) return known.caller;
      this.good.delete(token);
      return null;
    }
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [caller = '', expiresText = '', given = ''] = parts;
    const expires = Number(expiresText);
    if (!CALLER.test(caller) || !/^\d{1,12}$/.test(expiresText) || expires <= now) return null;
    // a token that claims to live far longer than any this cluster makes is not one of them
    if (expires > now + LIFETIME_SECONDS + 60) return null;
    const want = Buffer.from(mac(this.key, `${caller}.${expires}`));
    const got = Buffer.from(given);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    if (this.good.size > 10_000) this.sweep(now);
    this.good.set(token, { caller, expires });
    return caller;
  }

  private sweep(now: number): void {
    for (const [t, v] of this.good) if (v.expires <= now) this.good.delete(t);
    // still full (a flood of distinct valid tokens cannot happen without the key): start over
    if (this.good.size > 10_000) this.good.clear();
  }
}
