import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape the API answered
  json: any;
  raw: Buffer;
}

/**
 * One HTTP request over node:http, as a client would make it (so a body and gzip can be checked
 * byte for byte). The path goes as it is: a URL would read `//_admin` as a host.
 */
export function httpCall(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(base);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) {
    headers['content-length'] = Buffer.byteLength(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, raw });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * A JSON API call through the ELB as a viewer makes it; the gateway's own 429 (the shared
 * cluster allows 5 requests a second per user) is waited out, any other answer returned.
 */
export async function viewerApi(
  elb: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  for (;;) {
    const r = await httpCall(elb, method, path, {
      token,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status !== 429 || r.json?.error?.code !== 'rate-limited') return r;
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(r.headers['retry-after'] ?? 1)));
  }
}
