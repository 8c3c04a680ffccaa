import { describe, expect, it } from 'vitest';
import { parseNginxStatus } from './engine-metrics.js';

describe("the edges' stub_status", () => {
  it('reads every counter nginx prints', () => {
    const text =
      'Active connections: 3 \nserver accepts handled requests\n 120 118 4021 \nReading: 0 Writing: 1 Waiting: 2 \n';
    expect(parseNginxStatus(text)).toEqual({
      active: 3,
      accepted: 120,
      handled: 118,
      requests: 4021,
      reading: 0,
      writing: 1,
      waiting: 2,
    });
  });

  it('refuses anything else (a login page, an error) rather than reporting zeros', () => {
    expect(parseNginxStatus('<html>403 Forbidden</html>')).toBeNull();
    expect(parseNginxStatus('Active connections: 3\n')).toBeNull();
  });
});
