/** The registry of every component, assembled here and only here. */
import { connectors } from '../connectors/index.js';
import { processors } from '../processors/index.js';
import { createRegistry } from '../runtime/registry/index.js';

export const registry = createRegistry([...connectors, ...processors]);
