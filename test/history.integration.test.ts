import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { synthClip } from './helpers/clips.js';
import {
  type Component,
  createUser,
  operatorHeaders,
  SHARED_CLUSTER,
  status,
  unique,
} from './helpers/cluster.js';
import { type Answer, httpCall, viewerApi } from './helpers/http.js';

/**
 * Viewing history and resume on the shared cluster: heartbeats through the gateway onto Kafka,
 * the history service's last-write-wins rows in Cassandra, another device resuming, and the move
 * of old history into the compressed rows — cut short by a kill and finished by a second run
 * without losing a position.
 */
const name = SHARED_CLUSTER;
const title = `Long Walk ${unique('hist')}`;
let titleId = '';
let elb = '';
let components: Component[] = [];
let dir = '';

const api = (method: string, path: string, token: string, body?: unknown) =>
  viewerApi(elb, method, path, token, body);

/** The viewing events every history instance has applied so far. */
async function eventsApplied(): Promise<number> {
  const headers = await operatorHeaders();
  let n = 0;
  for (const c of components.filter((x) => x.name.startsWith('history-'))) {
    const r = await httpCall(c.endpoint, 'GET', '/status', { headers });
    n += Number(r.json?.status?.events ?? 0);
  }
  return n;
}

/** A user made through the users service as the operator (sign-up is not a public route). */
async function quickUser(role: string): Promise<{ id: string; token: string }> {
  const users = components.find((c) => c.name.startsWith('users-')) as Component;
  const r = await httpCall(users.endpoint, 'POST', '/v1/users', {
    body: JSON.stringify({ name: unique(`hist-${role}`), plan: 'standard', region: 'US' }),
    headers: await operatorHeaders(),
  });
  expect(r.status, r.text).toBeLessThan(300);
  return { id: r.json.user.id, token: r.json.token };
}

const entryOf = (h: Answer, id: string) =>
  [...h.json.live, ...h.json.compressed].find((e: { titleId: string }) => e.titleId === id);

describe('viewing history and resume', () => {
  beforeAll(async () => {
    components = await status();
    elb = (components.find((c) => c.name === 'elb-1') as Component).endpoint;
    dir = await mkdtemp(join(tmpdir(), 'flix-history-'));
    const clip = join(dir, 'walk.mp4');
    synthClip(clip, {
      size: '128x72',
      seconds: 12,
      codecs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-an'],
    });
    const r = await flix(['ingest', clip, '--title', title, '--wait', '--name', name, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    titleId = r.json.id;
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resumes on the phone where the tv stopped, and keeps the newest position by the client clock', async () => {
    const carol = unique('hist-carol');
    const token = await createUser(carol);
    const tv = await flix([
      'play',
      title,
      '--user',
      carol,
      '--device',
      'tv',
      '--duration',
      '6s',
      '--speed',
      '20',
      '--name',
      name,
      '--json',
    ]);
    expect(tv.exitCode, tv.stderr).toBe(0);
    const stopped = await waitFor(
      "the tv's last position in the history",
      async () => {
        const h = await api('GET', '/api/history', token);
        const e = entryOf(h, titleId);
        return e && e.position > 0 ? e : null;
      },
      20_000,
    );
    expect(stopped.device).toBe('tv');
    const shown = await flix(['history', '--user', carol, '--name', name, '--json']);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.json.live).toContainEqual(
      expect.objectContaining({ titleId, device: 'tv', position: stopped.position }),
    );

    // the phone starts where the tv stopped
    const phone = await api('POST', '/api/play', token, { title: titleId, device: 'phone' });
    expect(phone.status, phone.text).toBe(200);
    expect(phone.json.position).toBe(stopped.position);

    // the phone moves on; a heartbeat the tv sent a minute earlier arrives late and changes nothing
    const before = await eventsApplied();
    const beat = (position: number, sentAt: number, device: string) =>
      api('POST', `/api/play/${phone.json.playId}/heartbeat`, token, { position, sentAt, device });
    expect((await beat(9, Date.now(), 'phone')).status).toBe(204);
    expect((await beat(2, Date.now() - 60_000, 'tv')).status).toBe(204);
    await waitFor('both heartbeats applied', async () => (await eventsApplied()) >= before + 2, 20_000);
    const after = entryOf(await api('GET', '/api/history', token), titleId);
    expect(after).toMatchObject({ position: 9, device: 'phone' });
    await api('DELETE', `/api/play/${phone.json.playId}`, token);
    const next = await api('POST', '/api/play', token, { title: titleId, device: 'tv' });
    expect(next.json.position).toBe(9);
    await api('DELETE', `/api/play/${next.json.playId}`, token);

    // a clock far ahead is refused
    const ahead = await api('POST', '/api/play', token, { title: titleId });
    const refused = await api('POST', `/api/play/${ahead.json.playId}/heartbeat`, token, {
      position: 3,
      sentAt: Date.now() + 3_600_000,
    });
    expect(refused.status).toBe(400);
    await api('DELETE', `/api/play/${ahead.json.playId}`, token);
  });

  it('moves old history into the compressed rows without losing a position, even when the move is killed', async () => {
    const viewers = await Promise.all(Array.from({ length: 12 }, (_, i) => quickUser(String(i))));
    const before = await eventsApplied();
    await Promise.all(
      viewers.map(async (v, i) => {
        const p = await api('POST', '/api/play', v.token, { title: titleId, device: 'tv' });
        expect(p.status, p.text).toBe(200);
        expect(
          (
            await api('POST', `/api/play/${p.json.playId}/heartbeat`, v.token, {
              position: i + 1,
              sentAt: Date.now(),
            })
          ).status,
        ).toBe(204);
        await api('DELETE', `/api/play/${p.json.playId}`, v.token);
      }),
    );
    await waitFor(
      'every heartbeat applied',
      async () => (await eventsApplied()) >= before + viewers.length,
      20_000,
    );
    const positions = async () =>
      Promise.all(
        viewers.map(async (v) => entryOf(await api('GET', '/api/history', v.token), titleId)?.position),
      );
    const expected = viewers.map((_, i) => i + 1);
    expect(await positions()).toEqual(expected);

    // the job killed as soon as it starts moving a user
    const job = execa(
      process.execPath,
      [join(repoRoot, 'bin', 'run.js'), 'history', 'compact', '--older-than', '0s', '--name', name],
      {
        reject: false,
        env: { CI: '1' },
      },
    );
    await new Promise<void>((resolve) => {
      job.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('moving ')) resolve();
      });
      void job.then(() => resolve());
    });
    job.kill('SIGKILL');
    const killed = await job;
    expect(killed.signal).toBe('SIGKILL');
    expect(await positions()).toEqual(expected);

    // a second run finishes the move: every position is now in the compressed rows
    const second = await flix(['history', 'compact', '--older-than', '0s', '--name', name, '--json']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json.rows).toBeGreaterThan(0);
    for (const [i, v] of viewers.entries()) {
      const h = await api('GET', '/api/history', v.token);
      expect(h.json.live).toEqual([]);
      expect(h.json.compressed).toEqual([
        expect.objectContaining({ titleId, position: i + 1, device: 'tv' }),
      ]);
    }
    // and a play still resumes there
    const resumed = await api('POST', '/api/play', viewers[4]?.token as string, { title: titleId });
    expect(resumed.json.position).toBe(5);
    await api('DELETE', `/api/play/${resumed.json.playId}`, viewers[4]?.token as string);
  });
});
