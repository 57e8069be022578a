import { controlsSuite } from '../support/controls.js';

controlsSuite('chromium');
