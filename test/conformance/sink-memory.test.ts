import { MemorySink } from '../../connectors/memory/memory-sink.js';
import { MemoryStore } from '../../connectors/memory/memory-stream.js';
import {
  describeSinkConformance,
  sinkRecord,
  type ConformanceValue,
  type SinkUnderTest,
} from './sink-conformance.js';

function underTest(failFirstWrites: number): SinkUnderTest {
  const store = new MemoryStore();
  return {
    sink: new MemorySink(store, 'default', failFirstWrites),
    read: () => Promise.resolve(store.live('default') as Map<string, ConformanceValue>),
    close: () => Promise.resolve(),
  };
}

describeSinkConformance('memory', {
  open: () => Promise.resolve(underTest(0)),
  record: (key, version, value) =>
    sinkRecord(key, value, value === null ? { version, op: 'delete' } : { version }),
  malformed: (_key, version) => sinkRecord(null, { n: 0 }, { version }),
  // The memory store has no connection: its outage is the sink's simulated transient failure.
  unreachable: () => Promise.resolve({ under: underTest(1), restore: () => Promise.resolve() }),
});
