// @ts-check
// HTTP requests with node:http rather than fetch: the benchmarks need the time of the first body
// byte, their own keep-alive agents (one per viewer, as a player has its own connections) and no
// body buffering when only the byte count matters.
import http from 'node:http';
import net from 'node:net';

/**
 * @typedef {object} RequestOptions
 * @property {http.Agent} [agent]
 * @property {string} [method]
 * @property {http.OutgoingHttpHeaders} [headers]
 * @property {string | Buffer} [body]
 * @property {boolean} [keepBody] false: count the bytes, keep no body (an error answer's is kept)
 * @property {number} [timeoutMs]
 */

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {http.IncomingHttpHeaders} headers
 * @property {Buffer | null} body null when keepBody was false and the answer not an error
 * @property {number} bytes
 * @property {number} firstByte performance.now() of the first body byte (of the end if none)
 * @property {number} end performance.now() of the end of the answer
 */

/**
 * One HTTP request. Resolves with the status, headers, body, byte count and the times of the
 * first body byte and of the end; rejects on a network error or no answer within timeoutMs.
 * @param {string} url
 * @param {RequestOptions} [options]
 * @returns {Promise<Answer>}
 */
export function request(
  url,
  { agent, method = 'GET', headers = {}, body, keepBody = true, timeoutMs = 30_000 } = {},
) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent },
      (res) => {
        const status = res.statusCode ?? 0;
        const keep = keepBody || status >= 400;
        /** @type {number | null} */
        let first = null;
        let bytes = 0;
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (/** @type {Buffer} */ c) => {
          if (first === null) first = performance.now();
          bytes += c.length;
          if (keep) chunks.push(c);
        });
        res.on('end', () => {
          const end = performance.now();
          resolve({
            status,
            headers: res.headers,
            body: keep ? Buffer.concat(chunks) : null,
            bytes,
            firstByte: first ?? end,
            end,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms: ${method} ${url}`)));
    req.end(body);
  });
}

/**
 * `request`, rejecting any status but 2xx (with the start of the answer's body in the message).
 * @param {string} url
 * @param {RequestOptions} [options]
 */
export async function requestOk(url, options) {
  const r = await request(url, options);
  if (r.status < 200 || r.status > 299) {
    const text = r.body ? r.body.toString('utf8').slice(0, 300) : '';
    throw new Error(`${options?.method ?? 'GET'} ${url} answered ${r.status} ${text}`);
  }
  return r;
}

/**
 * The body of a 2xx answer, read as text.
 * @param {Answer} answer
 */
export const text = (answer) => answer.body?.toString('utf8') ?? '';

/**
 * A keep-alive agent.
 * @param {number} maxSockets
 */
export const keepAlive = (maxSockets) => new http.Agent({ keepAlive: true, maxSockets });

/**
 * A TCP port free on 127.0.0.1 right now (the kernel's pick).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(address.port));
    });
  });
}
