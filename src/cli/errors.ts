/** The most specific message along a failure's cause chain (Temporal wraps activity errors twice). */
export { failureText as rootMessage } from '../common/failure-text';
