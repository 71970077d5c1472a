export * from './x509.js';
export * from './ca.js';
export * from './workload.js';
export * from './tokens.js';
