// Every processor component, in one array the CLI hands to the registry.
import type { ComponentSpec } from '../runtime/contract/index.js';
import { conformProcessor } from './conform/conform-processor.js';
import { noopProcessor } from './noop/noop-processor.js';
import { searchDocumentsStage } from './search/search-documents-stage.js';
import { ucrStage } from './ucr/ucr-stage.js';

export const processors: readonly ComponentSpec[] = [
  noopProcessor,
  conformProcessor,
  ucrStage,
  searchDocumentsStage,
] as const;
