/**
 * The policy types: one folder each (`<name>/api.ts`: spec type, schema, definition), one line here.
 * registry.ts derives the list of definitions (and with it the policy rows of the descriptor table and
 * the `ResourceType` union) from what this module exports. The same-named folder in @causeway/xds
 * holds the plugin and its golden testdata.
 */
export * from './common.js';
export * from './meshtrafficpermission/api.js';
export * from './meshtimeout/api.js';
export * from './meshretry/api.js';
