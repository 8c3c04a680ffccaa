import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-agent/contract.js';
import { archiveKeyOf } from './archive.js';
import { logIndexOf, logQuery, matchesFilter } from './contract.js';

const record: LogRecord = {
  id: 'playback-b-1:service:12:400',
  time: '2026-12-03T19:06:24.601Z',
  component: 'playback-b-1',
  service: 'playback',
  zone: 'b',
  source: 'service',
  offset: 400,
  level: 'warn',
  msg: 'steering answered slowly',
  userId: 'u-1',
  traceId: 'abc',
};

describe('log filters', () => {
  it('match a component by name or by its service, and levels from the one asked up', () => {
    expect(matchesFilter(record, { component: 'playback' })).toBe(true);
    expect(matchesFilter(record, { component: 'playback-b-1' })).toBe(true);
    expect(matchesFilter(record, { component: 'playback-a-1' })).toBe(false);
    expect(matchesFilter(record, { level: 'info' })).toBe(true);
    expect(matchesFilter(record, { level: 'error' })).toBe(false);
  });

  it('match users, traces, zones, time and every word of a grep', () => {
    expect(matchesFilter(record, { userId: 'u-1', traceId: 'abc', zone: 'b' })).toBe(true);
    expect(matchesFilter(record, { userId: 'u-2' })).toBe(false);
    expect(matchesFilter(record, { since: Date.parse(record.time) + 1 })).toBe(false);
    expect(matchesFilter(record, { grep: 'Answered STEERING' })).toBe(true);
    expect(matchesFilter(record, { grep: 'steering failed' })).toBe(false);
  });

  it('put the same question to the index', () => {
    expect(logQuery({ component: 'playback', level: 'warn', userId: 'u-1', grep: 'slowly' })).toEqual({
      bool: {
        filter: [
          { bool: { should: [{ term: { component: 'playback' } }, { term: { service: 'playback' } }] } },
          { range: { severity: { gte: 40 } } },
          { term: { userId: 'u-1' } },
        ],
        must: [{ match: { msg: { query: 'slowly', operator: 'and' } } }],
      },
    });
  });

  it('file a record under its UTC day and hour', () => {
    expect(logIndexOf(record.time)).toBe('flix-logs-2026.12.03');
    expect(archiveKeyOf(record)).toBe('logs/2026/12/03/19/playback-b-1.jsonl.gz');
    expect(archiveKeyOf({ time: record.time, component: 'a/../b' })).toBe(
      'logs/2026/12/03/19/a_.._b.jsonl.gz',
    );
  });
});
