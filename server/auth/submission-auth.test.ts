import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password-hash.js';
import { apiKeyDigest, authenticate, CredentialCache } from './submission-auth.js';
import type { MobileUser, UserDirectory } from '../../connectors/couchdb/user-directory.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function directoryWith(users: MobileUser[]): UserDirectory {
  return {
    domainExists: (domain) => Promise.resolve(users.some((u) => u.domain === domain)),
    findUser: (username, domain) =>
      Promise.resolve(
        users.find((u) => u.username === username || u.username === `${username}@${domain}.commcarehq.org`) ??
          null,
      ),
  };
}

describe('password hashes', () => {
  it('verify the password they were made from and nothing else', async () => {
    const stored = await hashPassword('s3cret');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('s3cret', stored)).toBe(true);
    expect(await verifyPassword('s3cret ', stored)).toBe(false);
    expect(await verifyPassword('s3cret', 'md5$abc')).toBe(false);
    expect(await hashPassword('s3cret')).not.toBe(stored);
  });
});

describe('authenticate', () => {
  const users = async () => [
    {
      id: 'u1',
      username: 'amina@demo.commcarehq.org',
      domain: 'demo',
      passwordHash: await hashPassword('pw1'),
      apiKeyHashes: [apiKeyDigest('k1')],
      isActive: true,
    },
    {
      id: 'u2',
      username: 'chidi@other.commcarehq.org',
      domain: 'other',
      passwordHash: await hashPassword('pw2'),
      apiKeyHashes: [],
      isActive: true,
    },
    {
      id: 'u3',
      username: 'gone@demo.commcarehq.org',
      domain: 'demo',
      passwordHash: await hashPassword('pw3'),
      apiKeyHashes: [],
      isActive: false,
    },
  ];

  it('accepts a short or full username with its password, and an API key', async () => {
    const directory = directoryWith(await users());
    const cache = new CredentialCache();
    expect(
      await authenticate({ authorization: basic('amina', 'pw1') }, 'demo', directory, cache),
    ).toMatchObject({ ok: true });
    expect(
      await authenticate(
        { authorization: basic('amina@demo.commcarehq.org', 'pw1') },
        'demo',
        directory,
        cache,
      ),
    ).toMatchObject({ ok: true });
    expect(await authenticate({ authorization: 'ApiKey amina:k1' }, 'demo', directory, cache)).toMatchObject({
      ok: true,
    });
    expect(await authenticate({ 'x-api-key': 'amina:k1' }, 'demo', directory, cache)).toMatchObject({
      ok: true,
    });
  });

  it('answers 401 without credentials, with a wrong secret and for a deactivated user, 403 for another domain', async () => {
    const directory = directoryWith(await users());
    const cache = new CredentialCache();
    expect(await authenticate({}, 'demo', directory, cache)).toMatchObject({ ok: false, status: 401 });
    expect(
      await authenticate({ authorization: basic('amina', 'nope') }, 'demo', directory, cache),
    ).toMatchObject({ ok: false, status: 401 });
    expect(await authenticate({ authorization: 'ApiKey amina:k2' }, 'demo', directory, cache)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(
      await authenticate({ authorization: basic('gone', 'pw3') }, 'demo', directory, cache),
    ).toMatchObject({ ok: false, status: 401 });
    expect(
      await authenticate(
        { authorization: basic('chidi@other.commcarehq.org', 'pw2') },
        'demo',
        directory,
        cache,
      ),
    ).toMatchObject({ ok: false, status: 403 });
    // A wrong password for a user of another domain says nothing about the domain.
    expect(
      await authenticate(
        { authorization: basic('chidi@other.commcarehq.org', 'x') },
        'demo',
        directory,
        cache,
      ),
    ).toMatchObject({ ok: false, status: 401 });
  });

  it('remembers a verified password but not a wrong one, and forgets it when the hash changes', async () => {
    const cache = new CredentialCache();
    const first = await hashPassword('pw');
    expect(await cache.verify('pw', first)).toBe(true);
    const started = performance.now();
    expect(await cache.verify('pw', first)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5);
    expect(await cache.verify('other', first)).toBe(false);
    expect(await cache.verify('pw', await hashPassword('new'))).toBe(false);
  });

  it('words a refusal to a user of another domain for what was asked', async () => {
    const directory = directoryWith(await users());
    const refused = await authenticate(
      { authorization: basic('chidi@other.commcarehq.org', 'pw2') },
      'demo',
      directory,
      new CredentialCache(),
      'read reports of',
    );
    expect(refused).toEqual({
      ok: false,
      status: 403,
      message: 'User chidi@other.commcarehq.org may not read reports of domain demo.',
    });
  });
});
