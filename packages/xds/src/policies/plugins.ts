/**
 * The policy plugins: one folder each (`<name>/plugin.ts` and `<name>/testdata/`), one line here, named
 * like the policy's folder in @causeway/core. registry.ts derives the registry from these exports.
 */
export * from './meshtrafficpermission/plugin.js';
export * from './meshtimeout/plugin.js';
export * from './meshretry/plugin.js';
