/**
 * The server's security and size limits: one environment variable each, with defaults here and
 * nowhere else, read and checked in this one place (as connectors/endpoints.ts does for endpoints).
 * `startServer` reads them from the environment unless given; tests pass their own.
 */
import { z } from 'zod';

const count = (fallback: number, description: string) =>
  z.coerce.number().int().positive().default(fallback).describe(description);

const serverSettingsSchema = z.object({
  TRIBUTARY_AUTH_USER_MAX_FAILURES: count(
    500,
    "Failed authentications of one username within the window before it is locked (429 with Retry-After). CommCare HQ's lockout for mobile workers: 500 a day (MAX_COMMCARE_USER_LOGIN_ATTEMPTS).",
  ),
  TRIBUTARY_AUTH_USER_WINDOW_SECONDS: count(
    86_400,
    'The window of the per-user count, from its first failure; CommCare HQ counts per day.',
  ),
  TRIBUTARY_AUTH_ADDRESS_MAX_FAILURES: count(
    50,
    'Failed authentications from one client address within the window before the address is locked: stops guessing many passwords or many usernames from one place.',
  ),
  TRIBUTARY_AUTH_ADDRESS_WINDOW_SECONDS: count(
    600,
    'The window of the per-address count, from its first failure.',
  ),
  TRIBUTARY_TRUST_FORWARDED_FOR: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe(
      'Behind one reverse proxy: take the client address from the last entry of X-Forwarded-For (the one the proxy added). Never set it without a proxy that sets the header: clients could choose their address.',
    ),
  TRIBUTARY_FORM_BODY_INLINE_MAX_BYTES: count(
    131_072,
    "A form whose question tree is larger (as JSON) is published with the tree in the blob store beside its event (form_body_url), so no event outgrows its topic; Kafka sources put it back while decoding. At most half of the topics' maxMessageBytes.",
  ),
  TRIBUTARY_REPORT_MAX_ROWS: count(
    10_000,
    'The largest `limit` a report request may ask for (one page); larger is a 400 naming the maximum.',
  ),
});

export type ServerSettings = Readonly<z.output<typeof serverSettingsSchema>>;

/** Names, defaults and descriptions of every setting, for docs. */
export const serverSettingVariables = Object.entries(serverSettingsSchema.shape).map(([name, schema]) => ({
  name,
  description: schema.description ?? '',
}));

export class ServerSettingsError extends Error {
  override readonly name = 'ServerSettingsError';
}

/**
 * Reads every setting from `env`; unset or empty takes the default. Throws one ServerSettingsError
 * naming every bad variable and what was expected.
 */
export function readServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const input = Object.fromEntries(
    Object.keys(serverSettingsSchema.shape).flatMap((name) => {
      const value = env[name];
      return value === undefined || value.trim() === '' ? [] : [[name, value.trim()]];
    }),
  );
  const parsed = serverSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${String(issue.path[0])}=${JSON.stringify(env[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new ServerSettingsError(`bad server settings:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

/** The defaults with some settings replaced, for tests and embedders. */
export function serverSettings(overrides: Partial<ServerSettings> = {}): ServerSettings {
  return Object.freeze({ ...readServerSettings({}), ...overrides });
}
