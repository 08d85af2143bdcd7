import { describe, expect, it } from 'vitest';
import { parseCommand } from './parse.ts';
import type { Command } from './types.ts';

const LIMITS = { maxNodesPerCluster: 16 };
// Armour is split so secret scanners do not flag this file.
const PRIVATE_KEY_HEADER = '-----BEGIN OPENSSH' + ' PRIVATE KEY-----';

interface BadInput {
  name: string;
  input: string;
  says: RegExp;
  privateKey?: boolean;
}

const BAD_INPUTS: BadInput[] = [
  // run: the words before `--` are plain words
  {
    name: 'a quoted shell line as -n',
    input: "run demo -n '4; rm -rf ~' -- x",
    says: /Unexpected `'` in `'4;`/,
  },
  {
    name: 'a `;` glued to -n',
    input: 'run -n 4;rm -- x',
    says: /Unexpected `;` in `4;rm`.*not shell syntax/,
  },
  { name: 'a `$(…)` as -n', input: 'run -n $(id) -- x', says: /Unexpected `\$` in `\$\(id\)`/ },
  { name: 'a `$(…)` cluster', input: 'run $(reboot) -- x', says: /Unexpected `\$` in `\$\(reboot\)`/ },
  { name: 'a backtick cluster', input: 'run `id` -- x', says: /Unexpected `ˋ` in `ˋidˋ`/ },
  { name: 'a zero-width space before `--`', input: 'run de\u200bmo -- x', says: /U\+200B/ },
  { name: 'an uppercase cluster', input: 'run Demo -- x', says: /Cluster name `Demo` is not valid/ },
  {
    name: 'an extra positional',
    input: 'run demo extra -- x',
    says: /Unexpected extra argument `extra` for `run`/,
  },
  // run: `--` and the command
  {
    name: 'no `--`',
    input: 'run demo -n 4',
    says: /`run` needs `--` before the command: `\/mpi run \[cluster\] \[-n RANKS\] -- \.\/program args`/,
  },
  { name: 'no `--` and shell syntax', input: 'run demo ./a.out $(x)', says: /`run` needs `--` before/ },
  { name: 'a bare run', input: 'run', says: /`run` needs `--` before the command/ },
  { name: 'an em dash for `--`', input: 'run demo — ./a.out', says: /needs `--`.*seems to have become `—`/ },
  { name: 'nothing after `--`', input: 'run demo --', says: /`run` needs a command after `--`: `\/mpi run / },
  { name: 'only blanks after `--`', input: 'run -n 2 --  \n\t ', says: /needs a command after `--`/ },
  {
    name: 'a 4,001-character command',
    input: `run -- ${'x'.repeat(4001)}`,
    says: /too long \(4001 .*limit is 4000/,
  },
  { name: 'a NUL in the command', input: 'run -- echo a\u0000b', says: /contains a NUL character/ },
  {
    name: 'a private key after `--`',
    input: `run -- cat ${PRIVATE_KEY_HEADER}`,
    says: /NOT stored/,
    privateKey: true,
  },
  // run: -n and --ppn
  {
    name: 'a zero rank count',
    input: 'run -n 0 -- x',
    says: /Rank count `0` must be a whole number from 1 to 4096/,
  },
  { name: 'too many ranks', input: 'run -n 4097 -- x', says: /Rank count `4097` must be a whole number/ },
  { name: 'a fractional rank count', input: 'run -n 2.5 -- x', says: /Rank count `2\.5`/ },
  { name: 'a hex rank count', input: 'run -n=0x10 -- x', says: /Rank count `0x10`/ },
  { name: 'fullwidth ranks', input: 'run -n ４ -- x', says: /Rank count `４`/ },
  { name: 'a negative ppn', input: 'run --ppn -1 -- x', says: /Ranks per node `-1` must be a whole number/ },
  { name: '-n without a value', input: 'run -n -- x', says: /Option `-n` needs a value: `-n RANKS`/ },
  { name: '-n= empty', input: 'run -n= -- x', says: /Option `-n` needs a value/ },
  { name: 'a duplicate -n', input: 'run -n 4 -n 8 -- x', says: /Option `-n` is given twice/ },
  { name: 'a duplicate --ppn', input: 'run --ppn 2 --ppn=3 -- x', says: /Option `--ppn` is given twice/ },
  {
    name: 'an unknown flag',
    input: 'run --nodes 4 -- x',
    says: /Unknown option `--nodes`\. Options: `-n`, `--ppn`, `--timeout`/,
  },
  // run: --timeout
  {
    name: 'a timeout in words',
    input: 'run --timeout 5 minutes -- x',
    says: /Timeout `5` is not valid: .*`90s`/,
  },
  {
    name: 'a zero timeout',
    input: 'run --timeout 0s -- x',
    says: /Timeout `0s` is not valid: use a duration above zero/,
  },
  {
    name: 'a timeout over 7 days',
    input: 'run --timeout 8d -- x',
    says: /`8d` is longer than the maximum of 7 days/,
  },
  { name: 'a timeout a second over 7 days', input: 'run --timeout 7d1s -- x', says: /maximum of 7 days/ },
  { name: 'a timeout without a unit', input: 'run --timeout=1h30 -- x', says: /Timeout `1h30` is not valid/ },
  { name: 'a negative timeout', input: 'run --timeout=-5m -- x', says: /Timeout `-5m` is not valid/ },
  { name: 'an uppercase unit', input: 'run --timeout 1H -- x', says: /Timeout `1H` is not valid/ },
  // jobs
  { name: 'jobs with `$(…)`', input: 'jobs $(reboot)', says: /Unexpected `\$`/ },
  { name: 'jobs with two clusters', input: 'jobs demo other', says: /extra argument `other` for `jobs`/ },
  { name: 'jobs with a flag', input: 'jobs --all', says: /`jobs` takes no options/ },
  { name: 'jobs with `--`', input: 'jobs -- ls', says: /`jobs` does not take `--`/ },
  // logs
  { name: 'logs without a job', input: 'logs', says: /`logs` needs a job id \(`7` or `#7`\)/ },
  { name: 'a word job id', input: 'logs abc', says: /Job id `abc` is not a job id: .*`7` or `#7`/ },
  { name: 'a zero job id', input: 'logs 0', says: /Job id `0` is not a job id/ },
  { name: 'a negative job id', input: 'logs -7', says: /Job id `-7` is not a job id/ },
  { name: 'a job id over 10^9', input: 'logs 1000000001', says: /Job id `1000000001`/ },
  { name: 'a huge job id', input: `logs ${'9'.repeat(30)}`, says: /Job id `9+` is not a job id/ },
  { name: 'a doubled `#`', input: 'logs ##7', says: /Job id `##7`/ },
  { name: 'a trailing `#`', input: 'logs 7#', says: /Job id `7#`/ },
  { name: 'an exponent job id', input: 'logs 1e3', says: /Job id `1e3`/ },
  {
    name: 'a zero tail',
    input: 'logs 7 --tail 0',
    says: /Line count `0` must be a whole number from 1 to 1000/,
  },
  { name: 'a tail over 1000', input: 'logs 7 --tail 1001', says: /Line count `1001`/ },
  { name: 'a tail without a value', input: 'logs 7 --tail', says: /`--tail` needs a value: `--tail N`/ },
  { name: 'a tail with `;`', input: 'logs 7 --tail 5;id', says: /Unexpected `;` in `5;id`/ },
  { name: 'logs of two jobs', input: 'logs 7 8', says: /extra argument `8` for `logs`/ },
  { name: 'logs --follow', input: 'logs #7 --follow', says: /Unknown option `--follow`\. Options: `--tail`/ },
  { name: 'logs with `--`', input: 'logs 7 -- tail', says: /`logs` does not take `--`/ },
  // cancel
  { name: 'cancel without a job', input: 'cancel', says: /`cancel` needs a job id/ },
  { name: 'cancel all', input: 'cancel all', says: /Job id `all` is not a job id/ },
  { name: 'cancel two jobs', input: 'cancel 7 8', says: /extra argument `8` for `cancel`/ },
  { name: 'cancel with `;`', input: 'cancel 7;reboot', says: /Unexpected `;` in `7;reboot`/ },
  { name: 'cancel --yes', input: 'cancel 7 --yes', says: /`cancel` takes no options/ },
  { name: 'cancel a fullwidth id', input: 'cancel #７', says: /Job id `#７`/ },
];

describe('commands job verbs reject', () => {
  it('covers at least 25 bad inputs', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(BAD_INPUTS)('$name', ({ input, says, privateKey = false }) => {
    const result = parseCommand(input, LIMITS);

    expect(result).toMatchObject({ ok: false, privateKey });
    if (result.ok) return;
    expect(result.message).toMatch(says);
    expect(result.message.length).toBeLessThan(400);
    expect(result.usage).toMatch(/^`\/mpi /);
  });

  it('gives the usage of `run` with its `--` example when run fails', () => {
    const result = parseCommand('run -n 0 -- x', LIMITS);

    expect(!result.ok && result.usage).toMatch(/^`\/mpi run \[cluster\] .*-- <command…>`/);
    expect(!result.ok && result.usage).toContain('`/mpi run demo -n 4 -- ./solver in.dat`');
  });
});

describe('commands job verbs accept', () => {
  const run = (fields: Partial<Command & { verb: 'run' }>): Command => ({
    verb: 'run',
    cluster: null,
    ranks: null,
    ranksPerNode: null,
    timeoutInMs: null,
    command: 'x',
    ...fields,
  });

  it.each<[string, Command]>([
    ['/mpi run -- echo "a; b" $(hostname) -- x', run({ command: 'echo "a; b" $(hostname) -- x' })],
    ['run demo -n 4 -- ./solver in.dat', run({ cluster: 'demo', ranks: 4, command: './solver in.dat' })],
    [
      'run -n=4 --ppn=2 --timeout=1h30m demo -- ./a.out',
      run({ cluster: 'demo', ranks: 4, ranksPerNode: 2, timeoutInMs: 5_400_000, command: './a.out' }),
    ],
    ['run --ppn 1 -n 4096 -- x', run({ ranks: 4096, ranksPerNode: 1 })],
    ['run -n 08 -- x', run({ ranks: 8 })],
    ['run --timeout 90s -- x', run({ timeoutInMs: 90_000 })],
    ['run --timeout 15m -- x', run({ timeoutInMs: 900_000 })],
    ['run --timeout 2h -- x', run({ timeoutInMs: 7_200_000 })],
    ['run --timeout 1d -- x', run({ timeoutInMs: 86_400_000 })],
    ['run --timeout 7d -- x', run({ timeoutInMs: 604_800_000 })],
    ['run --timeout 168h -- x', run({ timeoutInMs: 604_800_000 })],
    ['run \u2014timeout 2h -- x', run({ timeoutInMs: 7_200_000 })],
    ['run --   ./a.out --flag   \n', run({ command: './a.out --flag' })],
    ['run -- ./prog --help -h -n 3', run({ command: './prog --help -h -n 3' })],
    ['run -- for i in 1 2; do\n  echo $i\ndone\n', run({ command: 'for i in 1 2; do\n  echo $i\ndone' })],
    [
      "run -- echo 'héllo 🚀' | tee `date`.log && cat <in >out",
      run({ command: "echo 'héllo 🚀' | tee `date`.log && cat <in >out" }),
    ],
    [
      'run -- printf "\u001b[1m\u200bbold\u202e" 2>&1',
      run({ command: 'printf "\u001b[1m\u200bbold\u202e" 2>&1' }),
    ],
    [`run -- ${'y'.repeat(4000)}`, run({ command: 'y'.repeat(4000) })],
    ['run --help', { verb: 'help', topic: 'run' }],
    ['run demo -h -- ./a.out', { verb: 'help', topic: 'run' }],
    ['help run', { verb: 'help', topic: 'run' }],
    ['jobs', { verb: 'jobs', cluster: null }],
    ['jobs demo', { verb: 'jobs', cluster: 'demo' }],
    ['logs 7', { verb: 'logs', jobId: 7, tail: null }],
    ['logs #7 --tail 50', { verb: 'logs', jobId: 7, tail: 50 }],
    ['logs --tail=1000 #1000000000', { verb: 'logs', jobId: 1_000_000_000, tail: 1000 }],
    ['logs 007', { verb: 'logs', jobId: 7, tail: null }],
    ['cancel #12', { verb: 'cancel', jobId: 12 }],
    ['/mpi cancel 1', { verb: 'cancel', jobId: 1 }],
  ])('%j', (input, command) => {
    const result = parseCommand(input, LIMITS);

    expect(result).toEqual({ ok: true, command });
  });
});
