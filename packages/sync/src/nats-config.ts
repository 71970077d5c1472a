/**
 * NATS users and subject permissions for the sync: one user for global, one per zone. Produces the
 * `authorization { users: [...] }` block of a nats-server (2.9+) config file.
 *
 * A zone may only:
 *   - publish (put/delete) under its own prefix of causeway-zones: `$KV.causeway-zones.<zone>.>`;
 *   - create consumers on KV_causeway-global with `$JS.API.CONSUMER.CREATE.KV_causeway-global` and nothing
 *     after it: the legacy ephemeral form, on which nats-server refuses a `durable_name` in the body
 *     ("consumer expected to be ephemeral", 10020). The named forms `...CREATE.<stream>.<name>[.<filter>]`
 *     (where the server accepts `durable_name` = `<name>`) and `...DURABLE.CREATE...` are not allowed,
 *     so a zone cannot create a durable consumer on global's bucket;
 *   - create consumers on its own prefix of causeway-zones (to find its stale keys after a reconnect) with
 *     `$JS.API.CONSUMER.CREATE.KV_causeway-zones.*.$KV.causeway-zones.<zone>.>`: the server checks that the
 *     filter in the subject equals the body's, so the permission pins what a zone can read. On this form
 *     the body can still ask for a durable (`durable_name` = the name token), and on every form for an
 *     ephemeral with a very long `inactive_threshold`: subject permissions cannot see the body, and 2.9
 *     has no limit for either. Global's sweep (consumer-sweep.ts) deletes such consumers;
 *   - answer flow control of its consumers (`$JS.FC.<stream>.>` of both streams);
 *   - receive only on its own inbox prefix (`_INBOX_cw_zone_<zone>.>`, see `inboxPrefixFor`), so it cannot
 *     read replies meant for global or another zone.
 * That is all the zone's sync sends (watch.ts; `kvm.open` sends nothing). No consumer info or delete (a
 * zone could delete global's or another zone's consumers), no stream info (with `subjects_filter` it
 * would list every zone's keys), no direct get. Everything else is denied (allow lists). Global may
 * manage both KV streams (consumer list and delete included, for the sweep), write causeway-global and
 * read causeway-zones, and receive on its own inbox prefix.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { GLOBAL_BUCKET, INSPECT_SUBJECT, inspectSubject, streamOf, ZONES_BUCKET } from './keys.js';

export const GLOBAL_NATS_USER = 'causeway-global';
/** NATS user name of a zone. */
export const zoneNatsUser = (zone: string): string => `causeway-zone-${zone}`;

/** Inbox prefix a client must set (`inboxPrefix`) to receive replies under its permissions. */
export function inboxPrefixFor(who: { zone: string } | 'global'): string {
  return who === 'global' ? '_INBOX_cw_global' : `_INBOX_cw_zone_${who.zone}`;
}

/** Zone names: lower-case DNS labels, as the control plane's `--zone`. */
export const ZONE_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface SubjectPermissions {
  publish: string[];
  subscribe: string[];
  /** May publish one reply to a request it received (`allow_responses`). */
  allowResponses?: boolean;
}

const GS = streamOf(GLOBAL_BUCKET);
const ZS = streamOf(ZONES_BUCKET);

/** Subjects a zone's user may publish to and subscribe on. */
export function zonePermissions(zone: string): SubjectPermissions {
  return {
    publish: [
      `$KV.${ZONES_BUCKET}.${zone}.>`,
      // Legacy ephemeral form only (no name token): the server refuses a durable_name on it.
      `$JS.API.CONSUMER.CREATE.${GS}`,
      // Named form with the filter in the subject: the filter is pinned to the zone's own prefix.
      `$JS.API.CONSUMER.CREATE.${ZS}.*.$KV.${ZONES_BUCKET}.${zone}.>`,
      `$JS.FC.${GS}.>`,
      `$JS.FC.${ZS}.>`,
    ],
    // Global's reads of this zone's proxies (inspect.ts), answered with one reply each.
    subscribe: [`${inboxPrefixFor({ zone })}.>`, inspectSubject(zone)],
    allowResponses: true,
  };
}

/** Subjects global's user may publish to and subscribe on. */
export function globalPermissions(): SubjectPermissions {
  const publish = ['$JS.API.INFO', `$KV.${GLOBAL_BUCKET}.>`, `${INSPECT_SUBJECT}.*`];
  for (const s of [GS, ZS]) {
    publish.push(
      `$JS.API.STREAM.*.${s}`,
      `$JS.API.STREAM.MSG.*.${s}`,
      `$JS.API.CONSUMER.*.${s}`,
      `$JS.API.CONSUMER.*.${s}.>`,
      `$JS.API.CONSUMER.*.*.${s}.>`,
      `$JS.API.DIRECT.GET.${s}`,
      `$JS.API.DIRECT.GET.${s}.>`,
      `$JS.FC.${s}.>`,
    );
  }
  return { publish, subscribe: [`${inboxPrefixFor('global')}.>`] };
}

export interface NatsCredential {
  user: string;
  password: string;
  inboxPrefix: string;
}

export interface GenerateNatsConfigOptions {
  zones: string[];
  /** Password of the global user (generated when absent). */
  globalPassword?: string;
  /** Passwords of zone users by zone name (generated when absent). */
  zonePasswords?: Record<string, string>;
  /** Store bcrypt hashes instead of the passwords in the config (default true). */
  hashPasswords?: boolean;
  /** bcrypt cost (default 10). */
  bcryptCost?: number;
}

export interface GeneratedNatsConfig {
  /** The `authorization { ... }` block, to include in (or append to) nats-server.conf. */
  config: string;
  global: NatsCredential;
  zones: Record<string, NatsCredential>;
}

/** 32 letters and digits: no `-` (a leading dash reads as a flag on a command line), nothing to quote. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let out = '';
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 4 * 62: keeps the choice uniform
    out += alphabet[b % 62];
    if (out.length === 32) return out;
  }
  return out.length === 32 ? out : generatePassword();
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function renderUser(user: string, secret: string, perms: SubjectPermissions, comment: string): string {
  const list = (subjects: string[]) => subjects.map((s) => `          ${quote(s)}`).join('\n');
  return [
    `    # ${comment}`,
    '    {',
    `      user: ${quote(user)}`,
    `      password: ${quote(secret)}`,
    '      permissions: {',
    '        publish: { allow: [',
    list(perms.publish),
    '        ] }',
    '        subscribe: { allow: [',
    list(perms.subscribe),
    '        ] }',
    ...(perms.allowResponses ? ['        allow_responses: true'] : []),
    '      }',
    '    }',
  ].join('\n');
}

/**
 * Generates the authorization block for global and the given zones, with the passwords to hand to each
 * control plane (`--nats-user`/`--nats-password`). Throws on an invalid or duplicate zone name.
 */
export function generateNatsConfig(opts: GenerateNatsConfigOptions): GeneratedNatsConfig {
  const seen = new Set<string>();
  for (const zone of opts.zones) {
    if (!ZONE_NAME_RE.test(zone) || zone.length > 63) throw new Error(`zone name "${zone}" must be a lower-case DNS label (letters, digits, "-")`);
    if (seen.has(zone)) throw new Error(`zone "${zone}" is listed twice`);
    seen.add(zone);
  }
  for (const zone of Object.keys(opts.zonePasswords ?? {})) {
    if (!seen.has(zone)) throw new Error(`a password is given for zone "${zone}", which is not in the zone list`);
  }
  const hash = opts.hashPasswords ?? true;
  const cost = opts.bcryptCost ?? 10;
  const secret = (password: string) => (hash ? bcrypt.hashSync(password, cost) : password);

  const global: NatsCredential = { user: GLOBAL_NATS_USER, password: opts.globalPassword ?? generatePassword(), inboxPrefix: inboxPrefixFor('global') };
  const zones: Record<string, NatsCredential> = {};
  const users = [renderUser(global.user, secret(global.password), globalPermissions(), 'global control plane')];
  for (const zone of opts.zones) {
    const cred: NatsCredential = { user: zoneNatsUser(zone), password: opts.zonePasswords?.[zone] ?? generatePassword(), inboxPrefix: inboxPrefixFor({ zone }) };
    zones[zone] = cred;
    users.push(renderUser(cred.user, secret(cred.password), zonePermissions(zone), `zone control plane "${zone}"`));
  }
  const config = [
    '# Causeway multi-zone sync: one NATS user for global and one per zone (generated).',
    '# Each client must set its inbox prefix: global _INBOX_cw_global, zone Z _INBOX_cw_zone_Z.',
    'authorization {',
    '  users: [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
  return { config, global, zones };
}
