import { accuracySuite } from '../support/harness.js';

accuracySuite('chromium', 'webcodecs');
