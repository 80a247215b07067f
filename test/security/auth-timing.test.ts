/**
 * A refusal takes as long for an unknown username as for a known one with a wrong password, so
 * its time does not tell which usernames exist (the unknown user's password is checked against a
 * dummy hash of the same cost). Medians of interleaved attempts, so the shared machine's noise
 * falls on both alike.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startTestReceiver(names, {
    users: 1,
    // Many failures from one address on purpose: the throttle is not what is measured here.
    settings: { TRIBUTARY_AUTH_ADDRESS_MAX_FAILURES: 10_000, TRIBUTARY_AUTH_USER_MAX_FAILURES: 10_000 },
  });
}, 60_000);

afterAll(async () => {
  await receiver.close();
});

async function refusalMs(username: string, password: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${receiver.service.url}/a/${receiver.domain}/receiver`, {
    method: 'HEAD',
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  const elapsed = performance.now() - started;
  expect(response.status).toBe(401);
  return elapsed;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

it('refuses an unknown user and a wrong password in the same time (medians within 1.5x)', async ({
  annotate,
}) => {
  const known = receiver.users[0]!.username;
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 25; i++) {
    const a = await refusalMs('nobody-here', `guess-${i}`);
    const b = await refusalMs(known, `guess-${i}`);
    // The first rounds warm up: the dummy hash is made on first use, and the directory caches both
    // names (an attacker's repeated tries are cached alike, known name or not).
    if (i < 4) continue;
    unknown.push(a);
    wrong.push(b);
  }
  const ratio = median(unknown) / median(wrong);
  await annotate(
    `median refusal: unknown user ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`,
  );
  expect(ratio, `unknown ${median(unknown)} ms vs wrong password ${median(wrong)} ms`).toBeGreaterThan(
    1 / 1.5,
  );
  expect(ratio).toBeLessThan(1.5);
});
