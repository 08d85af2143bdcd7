import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseEveryMethod, exerciseMalformedRequests } from './contract/scenarios.ts';
import {
  allDocumentedErrors,
  documentedErrors,
  eventWrapperSchema,
  isInSpec,
  newAjv,
  responseValidator,
} from './contract/spec.ts';
import {
  appHomeOpenedEvent,
  fakeSlackClient,
  startFakeSlack,
  type CallRecord,
  type FakeSlack,
} from './index.ts';
import { COMMON_ERRORS, METHODS } from './methods/index.ts';

/**
 * The 2020 spec predates these methods (Slack added them in 2023). files.test.ts drives them
 * end to end through the WebClient's files.uploadV2 instead.
 */
const NOT_IN_SPEC = ['files.getUploadURLExternal', 'files.completeUploadExternal'];

/**
 * Codes the fake answers that the 2020 enum lacks. `invalid_blocks` is in Slack's current
 * method pages for every posting method (the 2020 spec knows no block errors at all);
 * `thread_not_found` / `invalid_thread_ts` are what Slack answers for a bad thread_ts.
 */
const NEWER_THAN_SPEC: Record<string, string[]> = {
  'chat.postMessage': ['invalid_blocks', 'invalid_thread_ts', 'thread_not_found'],
  'chat.update': ['invalid_blocks'],
  'chat.postEphemeral': ['invalid_blocks'],
};

const SPEC_METHODS = Object.keys(METHODS).filter((method) => !NOT_IN_SPEC.includes(method));

describe('fake Slack against the published Web API contract', () => {
  let fake: FakeSlack;
  const ajv = newAjv();

  beforeAll(async () => {
    const options = {
      missingChannels: ['C0MISSING01'],
      archivedChannels: ['C0ARCHIVED1'],
      channelsWithoutBot: ['C0NOBOT0001'],
      rateLimit: { burst: 100 },
    };
    fake = await startFakeSlack(options);
    await exerciseEveryMethod(fake, fakeSlackClient(fake));
    await exerciseMalformedRequests(fake);
  });
  afterAll(() => fake.close());

  // A 429 is outside the spec, which describes HTTP 200 answers only (`ratelimited` is checked in rate-limit.test.ts).
  const answers = (method: string, ok: boolean): CallRecord[] =>
    fake.calls.filter((c) => c.method === method && c.ok === ok && c.status === 200);

  it('implements only methods the spec describes, apart from the known newer ones', () => {
    const missing = Object.keys(METHODS).filter((method) => !isInSpec(method));

    expect(missing).toEqual(NOT_IN_SPEC);
  });

  it.each(SPEC_METHODS)('%s: success bodies validate against the documented 200 schema', (method) => {
    const validate = responseValidator(ajv, method, '200');

    const invalid = answers(method, true).filter((call) => !validate(call.response));

    expect(answers(method, true).length).toBeGreaterThan(0);
    expect(invalid.map((call) => [call.response, validate.errors])).toEqual([]);
  });

  it.each(SPEC_METHODS)('%s: error bodies validate against the documented default schema', (method) => {
    // The enum itself is checked below; here the newer codes are let in so the shape is still checked.
    const validate = responseValidator(ajv, method, 'default', NEWER_THAN_SPEC[method]);

    const invalid = answers(method, false).filter((call) => !validate(call.response));

    expect(answers(method, false).length).toBeGreaterThan(0);
    expect(invalid.map((call) => [call.response, validate.errors])).toEqual([]);
  });

  it.each(SPEC_METHODS)('%s: every declared error code is documented', (method) => {
    const documented = documentedErrors(method);
    if (documented === null) return; // views.*: the spec gives only a generic error template.

    const undocumented = METHODS[method]!.errors.filter(
      (code) => !documented.includes(code) && !NEWER_THAN_SPEC[method]?.includes(code),
    );

    expect(undocumented).toEqual([]);
  });

  it.each(Object.keys(METHODS))('%s: the scenarios reach every error the fake declares', (method) => {
    const seen = new Set(fake.calls.filter((c) => c.method === method).map((c) => c.error));

    const unseen = METHODS[method]!.errors.filter((code) => !seen.has(code));

    expect(unseen).toEqual([]);
  });

  it('answers malformed requests only with codes the spec documents platform-wide', () => {
    const platformWide = allDocumentedErrors();
    const transport = COMMON_ERRORS.filter((code) => code !== 'ratelimited');

    const seen = new Set(fake.calls.filter((c) => c.method === 'auth.test').map((c) => c.error));

    expect(transport.filter((code) => !platformWide.has(code))).toEqual([]);
    expect(transport.filter((code) => !seen.has(code))).toEqual([]);
  });

  it('builds app_home_opened envelopes that match the Events API wrapper schema', () => {
    const validate = newAjv().compile(eventWrapperSchema());

    const valid = validate(appHomeOpenedEvent({ user_id: 'U0PERSON001' }));

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });
});
