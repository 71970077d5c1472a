/**
 * The policy types: one folder each, one line here. A folder holds the whole policy: `api.ts` (spec
 * type, schema, definition: its descriptor row), `plugin.ts` (what it does to the Envoy config of the
 * proxies it selects), their tests and `testdata/` (examples the fuzz tests mutate, golden cases that
 * @causeway/xds generates). registry.ts derives the definitions (and with them the policy rows of the
 * descriptor table and the `ResourceType` union) and the plugins from what this module exports.
 */
export * from './common.js';
export * from './meshtrafficpermission/index.js';
export * from './meshtimeout/index.js';
export * from './meshretry/index.js';
