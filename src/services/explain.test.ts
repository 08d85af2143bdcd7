import { describe, expect, it } from 'vitest';
import { MpiboxError } from '../domain/errors.ts';
import { cause, explain } from './explain.ts';

describe('cause', () => {
  it('names the node an error happened on, by name or by host and port', () => {
    expect(cause(new MpiboxError('provider', 'ssh connection failed', { host: '10.0.0.4', port: 22 }))).toBe(
      'ssh connection failed (10.0.0.4:22)',
    );
    expect(cause(new MpiboxError('provider', 'node did not boot', { node: 'demo-1' }))).toBe(
      'node did not boot (demo-1)',
    );
    expect(cause(new MpiboxError('timeout', 'log follow aborted', {}))).toBe('log follow aborted');
  });

  it('never shows the text of an unexpected error (it may hold a secret)', () => {
    expect(cause(new Error('xoxb-123 leaked'))).toBe('an internal error (details in the bot log)');
  });
});

describe('explain', () => {
  it('turns a provider error into a sentence with where it happened and what to do', () => {
    expect(
      explain(new MpiboxError('provider', 'ssh connection failed', { host: '10.0.0.4', port: 22 })),
    ).toBe(
      'The cloud reported a problem: ssh connection failed (10.0.0.4:22). Try again, or ask an admin to check the bot log.',
    );
  });

  it('says where a taken name lives: another channel, or (a race with the store) just taken', () => {
    expect(explain(new MpiboxError('conflict', 'name taken', { name: 'demo', otherChannel: true }))).toBe(
      'The name `demo` is taken by a live cluster in another channel; pick another name.',
    );
    expect(
      explain(new MpiboxError('conflict', 'a live cluster already has this name', { name: 'demo' })),
    ).toBe('The name `demo` is taken by a live cluster; pick another name.');
  });
});
