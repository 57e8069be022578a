import { accuracySuite } from '../support/harness.js';

accuracySuite('firefox', 'webcodecs');
