// Component lookup by kind and name.
export { componentReference } from './component-docs.js';
export { createRegistry, type Registry } from './registry.js';
export { editDistance, nearest } from './suggest.js';
