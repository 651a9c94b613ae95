// aws-local-stepfunctions uses Promise.withResolvers (Node 22); Node 20 needs the polyfill.
import '../functions/common/polyfills.js';
