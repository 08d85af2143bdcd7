import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { remoteCommand } from './connect.ts';

describe('remoteCommand', () => {
  it('leaves a command alone for the login user', () => {
    expect(remoteCommand({ host: 'h', port: 22, user: 'me' }, 'echo hi')).toBe('echo hi');
  });

  it('runs it as another user through sudo, with every word of it intact', () => {
    // A stand-in sudo that checks its options, then runs what follows `--` (as us).
    const bin = makeTempDir('mpibox-fake-sudo');
    fs.writeFileSync(
      path.join(bin, 'sudo'),
      '#!/bin/sh\n[ "$1 $2 $3 $4 $5" = "-n -H -u mpi --" ] || exit 99\nshift 5\nexec "$@"\n',
      { mode: 0o755 },
    );
    const command = `printf '%s|' "it's" '$HOME' "a b" \`echo ok\`; echo`;

    const wrapped = remoteCommand({ host: 'h', port: 22, user: 'admin', runAs: 'mpi' }, command);
    const output = execFileSync('/bin/sh', ['-c', wrapped], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: '/nowhere' },
    });

    expect(wrapped.startsWith('sudo -n -H -u mpi -- /bin/sh -c ')).toBe(true);
    expect(output).toBe("it's|$HOME|a b|ok|\n");
  });

  it('refuses a user name that could smuggle a command', () => {
    expect(() =>
      remoteCommand({ host: 'h', port: 22, user: 'admin', runAs: 'mpi; rm -rf /' }, 'true'),
    ).toThrow(/not a user name/);
  });
});
