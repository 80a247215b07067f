// Tests use kafkajs directly (fixtures, readers): without this, Node ≥ 23 prints a
// TimeoutNegativeWarning in every run (see connectors/kafka/kafkajs-timers.ts).
import { guardKafkajsTimers } from '../../connectors/kafka/kafkajs-timers.js';

guardKafkajsTimers();
