/** The crash hook moved to core/ (the broker's log cleaner uses it too); re-exported for the processors. */
export { crashPoint } from '../core/crash-points.js';
