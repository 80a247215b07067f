import { readEndpoints } from '../../connectors/endpoints.js';
import { MemorySource } from '../../connectors/memory/memory-source.js';
import { MemoryStream } from '../../connectors/memory/memory-stream.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { describeSourceConformance, type Written } from './source-conformance.js';

describeSourceConformance('memory', () => {
  const stream = new MemoryStream(3);
  const ctx = standaloneContext({
    pipeline: 'conformance',
    endpoints: readEndpoints(),
    resources: new ResourcePool(),
    delivery: { maxBatchRecords: 3 },
  });
  return Promise.resolve({
    append: (items) => {
      stream.append(...items.map((item) => ({ key: item.key, value: item })));
      return Promise.resolve();
    },
    open: () => Promise.resolve(new MemorySource(stream, true, ctx)),
    read: (record) => record.value as Written,
    cleanup: () => Promise.resolve(),
  });
});
