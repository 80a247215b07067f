import { afterEach, describe, expect, it } from 'vitest';
import type { SchemaRegistryApi } from '../../schemas/tools/schema-register.js';
import {
  changeEvent,
  schemaTestFolder,
  type SchemaTestFolder,
} from '../../schemas/tools/schema-test-folder.js';
import type { CommandInput } from '../command.js';
import { tributary } from '../tributary.js';
import { commands } from './index.js';
import { schemasCommand } from './schemas.js';

const text = { name: 'text', type: 'string', doc: 'The text.' };
const topics = 'topics:\n  notes:\n    schema: note\n';

let folder: SchemaTestFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

/** Runs `tributary schemas <args>`, `register` against the given registry, with what it printed. */
async function run(args: string[], registry?: SchemaRegistryApi) {
  const swapped = commands.map((c) =>
    c.name === 'schemas register' && registry
      ? { ...c, run: (input: CommandInput) => schemasCommand('register', input, { registry }) }
      : c,
  );
  return tributary(['schemas', ...args], { commands: swapped });
}

/** A registry that holds nothing and accepts everything, recording registrations. */
function acceptingRegistry(): SchemaRegistryApi & { registered: string[] } {
  const registered: string[] = [];
  return {
    registered,
    lookupSchema: () => Promise.resolve(undefined),
    registerSchema: (subject) => {
      registered.push(subject);
      return Promise.resolve(registered.length);
    },
    setCompatibility: () => Promise.resolve(),
    testCompatibility: () => Promise.resolve(true),
  };
}

describe('tributary schemas', () => {
  it('check passes the shipped schemas and exits 0', async () => {
    const { code, out } = await run(['check']);
    expect(code).toBe(0);
    expect(out).toMatch(/8 topics, 8 schemas, \d+ versions: all valid and compatible/);
  });

  it('check exits 1 naming the file, the field and the reason of an incompatible version', async () => {
    folder = await schemaTestFolder({
      'topics.yaml': topics,
      'note/v1.avsc': changeEvent('Note', [text]),
      'note/v2.avsc': changeEvent('Note', [text, { name: 'owner', type: 'string', doc: 'Owner.' }]),
    });
    const { code, err } = await run(['check', '--dir', folder.dir]);
    expect(code).toBe(1);
    expect(err).toMatch(
      /note\/v2\.avsc: field owner: added without a default.*v2 cannot read data written with v1/,
    );
    expect(err).toMatch(/1 problem in /);
  });

  it('types --check exits 0 while schemas/generated is current', async () => {
    const { code, out } = await run(['types', '--check']);
    expect(code).toBe(0);
    expect(out).toMatch(/up to date/);
  });

  it('types writes the generated files, then --check finds them current', async () => {
    folder = await schemaTestFolder({ 'topics.yaml': topics, 'note/v1.avsc': changeEvent('Note', [text]) });
    expect((await run(['types', '--check', '--dir', folder.dir])).code).toBe(1);
    const { code, out } = await run(['types', '--dir', folder.dir]);
    expect(code).toBe(0);
    expect(out).toMatch(/wrote .*note\.ts/);
    expect((await run(['types', '--check', '--dir', folder.dir])).code).toBe(0);
  });

  it('register reports each subject as new and exits 0', async () => {
    const registry = acceptingRegistry();
    const { code, out } = await run(['register', '--prefix', 'staging.', '--topic', 'cases'], registry);
    expect(code).toBe(0);
    expect(registry.registered).toEqual(['staging.cases-value']);
    expect(out).toMatch(/staging\.cases-value\s+new\s+1\s+BACKWARD_TRANSITIVE\s+.*schemas\/case\/v2\.avsc/);
    expect(out).toMatch(/1 new, 0 existing, 0 refused/);
  });

  it('register --dry-run registers nothing and says what would be added', async () => {
    const registry = acceptingRegistry();
    const { code, out } = await run(['register', '--dry-run'], registry);
    expect(code).toBe(0);
    expect(registry.registered).toEqual([]);
    expect(out).toMatch(/forms-value\s+would-add/);
  });

  it('register refuses schemas that fail the offline check, before asking the registry', async () => {
    folder = await schemaTestFolder({
      'topics.yaml': topics,
      'note/v1.avsc': changeEvent('Note', [{ name: 'x', type: 'string' }]),
    });
    const registry = acceptingRegistry();
    const { code, err } = await run(['register', '--dir', folder.dir], registry);
    expect(code).toBe(1);
    expect(err).toMatch(/note\/v1\.avsc: field x: needs a doc/);
    expect(registry.registered).toEqual([]);
  });

  it('exits 2 on bad input: no command, an unknown one, an option of another command, an unknown topic', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['publish'])).err).toMatch(/unknown subcommand 'publish'/);
    expect((await run(['check', '--dry-run'])).err).toMatch(/Unknown option '--dry-run'/);
    expect((await run(['check', '--nope'])).code).toBe(2);
    expect((await run(['register', '--topic', 'nope'], acceptingRegistry())).err).toMatch(
      /unknown topic nope/,
    );
  });

  it('exits 2 when the schemas folder cannot be used', async () => {
    const { code, err } = await run(['check', '--dir', '/nonexistent/schemas']);
    expect(code).toBe(2);
    expect(err).toMatch(/topics\.yaml: cannot read/);
  });
});
