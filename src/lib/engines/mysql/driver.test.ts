import { describe, expect, it } from 'vitest';
import { hasExactlyFlixPrivileges } from './driver.js';

describe('the flix MySQL account', () => {
  const usage = "GRANT USAGE ON *.* TO `flix`@`127.0.0.1` IDENTIFIED BY PASSWORD '*ABC'";
  const db =
    'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX, ALTER, REFERENCES ON `flix`.* TO `flix`@`127.0.0.1`';

  it('is left alone when it has exactly its privileges (in any order)', () => {
    expect(hasExactlyFlixPrivileges([usage, db])).toBe(true);
  });

  it('is granted again when it has more, less, or other ones', () => {
    expect(hasExactlyFlixPrivileges([usage])).toBe(false);
    expect(hasExactlyFlixPrivileges([usage, db.replace('SELECT, ', '')])).toBe(false);
    expect(hasExactlyFlixPrivileges([usage, db.replace('SELECT', 'SELECT, DROP')])).toBe(false);
    expect(hasExactlyFlixPrivileges(['GRANT ALL PRIVILEGES ON *.* TO `flix`@`127.0.0.1`', db])).toBe(false);
    expect(hasExactlyFlixPrivileges([usage, `${db} WITH GRANT OPTION`])).toBe(false);
  });
});
