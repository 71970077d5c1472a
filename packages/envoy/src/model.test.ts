/**
 * The hand-written model (model.ts) against the Envoy protos it describes. Every type alias names its
 * message with `@proto`; for each one, every field must exist in that message with a compatible JSON
 * type: strings for string / bytes / enums (and only names of that enum) / durations / 64-bit
 * integers, numbers for numeric fields and wrappers, booleans for bool, lists for repeated fields,
 * string-keyed records for maps, `@type` objects for Any, and a nested model type must name the
 * message type of its field. Nothing in the model can drift from the API without this test failing.
 */
import { join } from 'node:path';
import type { Enum, Field, Type } from 'protobufjs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { messageType, WRAPPERS } from './codec.js';
import { EXTENSION_TYPE_URLS } from './model.js';
import { TYPE_URLS } from './type-urls.js';

const MODEL = join(import.meta.dirname, 'model.ts');

/** Aliases of model.ts that are not messages (JSON forms of scalars, Any, helper unions). */
const NOT_MESSAGES = new Set(['Duration', 'Int64', 'Base64', 'Struct', 'TypedAny', 'Typed', 'ClusterType', 'TlsVersion', 'XdsResources']);

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const NUMBERS = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

const fullName = (t: Type | Enum) => t.fullName.slice(1);

interface Alias {
  name: string;
  decl: ts.TypeAliasDeclaration;
  proto: string | undefined;
}

/** Compiles a file and lists its type aliases with their `@proto` message name. */
function load(file: string, host?: ts.CompilerHost): { checker: ts.TypeChecker; aliases: Alias[] } {
  const options: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: [] };
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker(); // binds the files (sets the parent links JSDoc lookups need)
  const source = program.getSourceFile(file) as ts.SourceFile;
  const aliases = source.statements.filter(ts.isTypeAliasDeclaration).map((decl) => {
    const tag = ts.getJSDocTags(decl).find((t) => t.tagName.text === 'proto');
    return { name: decl.name.text, decl, proto: tag ? ts.getTextOfJSDocComment(tag.comment)?.trim() : undefined };
  });
  return { checker, aliases };
}

/** Every way the `@proto` aliases of a compiled file differ from their messages. */
function conformanceErrors(checker: ts.TypeChecker, aliases: Alias[]): string[] {
  const protoOfAlias = new Map(aliases.filter((a) => a.proto).map((a) => [a.name, a.proto as string]));
  const errors: string[] = [];

  const isTypedAny = (t: ts.Type): boolean => {
    const at = t.getProperty('@type');
    return at !== undefined && (checker.getTypeOfSymbol(at).flags & ts.TypeFlags.StringLike) !== 0;
  };
  /** An object with a string index signature and no properties (Struct, Record<string, unknown>): not described further. */
  const isOpaqueRecord = (t: ts.Type): boolean => checker.getIndexInfoOfType(t, ts.IndexKind.String) !== undefined && checker.getPropertiesOfType(t).length === 0;

  const checkMessage = (t: ts.Type, type: Type, path: string): void => {
    for (const prop of checker.getPropertiesOfType(t)) {
      if (prop.name === '@type') continue;
      const fpath = `${path}.${prop.name}`;
      const field = type.fields[prop.name];
      if (!field) errors.push(`${fpath}: ${fullName(type)} has no field "${prop.name}"`);
      else checkField(checker.getNonNullableType(checker.getTypeOfSymbol(prop)), field, fpath);
    }
  };

  const checkField = (t: ts.Type, field: Field, path: string): void => {
    if (field.map) {
      const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
      if (!index || checker.getPropertiesOfType(t).length > 0) errors.push(`${path}: is a map in the proto, so a Record<string, ...>`);
      else checkSingle(index.type, field, `${path}{}`);
    } else if (field.repeated) {
      if (!checker.isArrayType(t)) errors.push(`${path}: is repeated in the proto, so a list`);
      else checkSingle(checker.getTypeArguments(t as ts.TypeReference)[0] as ts.Type, field, `${path}[]`);
    } else checkSingle(t, field, path);
  };

  const checkSingle = (t: ts.Type, field: Field, path: string): void => {
    const rt = field.resolvedType;
    const wrong = (want: string) => errors.push(`${path}: ${checker.typeToString(t)} is not the JSON form of ${rt ? fullName(rt) : field.type} (${want})`);
    for (const c of t.isUnion() ? t.types : [t]) {
      const isString = (c.flags & ts.TypeFlags.StringLike) !== 0;
      const isNumber = (c.flags & ts.TypeFlags.NumberLike) !== 0;
      const isBoolean = (c.flags & ts.TypeFlags.BooleanLike) !== 0;
      const isObject = (c.flags & ts.TypeFlags.Object) !== 0 || c.isIntersection();
      if (rt && !('fields' in rt)) {
        // An enum: names of its values.
        const values = (rt as Enum).values;
        if (!c.isStringLiteral()) wrong('a union of its names');
        else if (!(c.value in values)) errors.push(`${path}: "${c.value}" is not a value of ${fullName(rt)} (${Object.keys(values).join(', ')})`);
      } else if (rt) {
        const type = rt as Type;
        const wrapper = WRAPPERS[type.fullName];
        if (wrapper === 'int64') {
          if (!isString && !isNumber) wrong('a decimal string');
        } else if (wrapper === 'number') {
          if (!isNumber) wrong('a number');
        } else if (wrapper === 'bool') {
          if (!isBoolean) wrong('true or false');
        } else if (wrapper === 'string' || wrapper === 'bytes') {
          if (!isString) wrong('a string');
        } else if (type.fullName === '.google.protobuf.Duration' || type.fullName === '.google.protobuf.Timestamp') {
          if (!isString) wrong('a string such as "5s"');
        } else if (type.fullName === '.google.protobuf.Struct') {
          if (!isObject || !isOpaqueRecord(c)) wrong('a JSON object');
        } else if (type.fullName === '.google.protobuf.Value') {
          // any JSON value
        } else if (type.fullName === '.google.protobuf.Any') {
          if (!isObject || !isTypedAny(c)) wrong('an object with "@type"');
        } else if (!isObject || checker.isArrayType(c)) wrong('an object');
        else {
          const named = c.aliasSymbol ? protoOfAlias.get(c.aliasSymbol.name) : undefined;
          if (named !== undefined) {
            if (named !== fullName(type)) errors.push(`${path}: the model type ${c.aliasSymbol?.name} is ${named}, the field is ${fullName(type)}`);
          } else if (!isOpaqueRecord(c)) checkMessage(c, type, path); // an inline object type
        }
      } else if (field.type === 'string' || field.type === 'bytes') {
        if (!isString) wrong('a string');
      } else if (field.type === 'bool') {
        if (!isBoolean) wrong('true or false');
      } else if (NUMBERS.has(field.type)) {
        if (!isNumber) wrong('a number');
      } else if (INT64.has(field.type)) {
        if (!isString && !isNumber) wrong('a decimal string');
      } else wrong('an unknown scalar');
    }
  };

  for (const a of aliases) if (a.proto) checkMessage(checker.getTypeAtLocation(a.decl.name), messageType(a.proto), a.name);
  return errors;
}

/** conformanceErrors of a model written inline (to show what the test catches). */
function probe(text: string): string[] {
  const file = '/probe/model.ts';
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, ...rest) => (name === file ? ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true) : getSourceFile.call(host, name, ...rest));
  const { checker, aliases } = load(file, host);
  return conformanceErrors(checker, aliases);
}

describe('the typed Envoy config model', () => {
  const { checker, aliases } = load(MODEL);

  it('names a proto message on every type that describes one', () => {
    expect(aliases.filter((a) => !a.proto && !NOT_MESSAGES.has(a.name)).map((a) => a.name)).toEqual([]);
    expect(aliases.filter((a) => a.proto).length).toBeGreaterThan(80);
  });

  it('matches the protos field by field', () => {
    expect(conformanceErrors(checker, aliases)).toEqual([]);
  });

  it('fails on a field the proto does not have, a wrong kind, a wrong enum name or the wrong nested message', () => {
    const ok = `/** @proto envoy.config.core.v3.SocketAddress */
type SocketAddress = { address: string; port_value?: number };
/** @proto envoy.config.core.v3.Address */
type Address = { socket_address?: SocketAddress };
/** @proto envoy.config.cluster.v3.Cluster */
type Cluster = { name: string; type?: 'EDS' | 'STATIC'; connect_timeout?: string; load_assignment?: { cluster_name: string; endpoints?: { lb_endpoints?: { endpoint?: { address: Address } }[] }[] } };`;
    expect(probe(ok)).toEqual([]);
    expect(
      probe(`/** @proto envoy.config.core.v3.Address */
type Address = { socket_adress?: { address: string } };
/** @proto envoy.config.cluster.v3.Cluster */
type Cluster = { name: number; type?: 'EDS' | 'DNS'; connect_timeout?: { seconds: number }; transport_socket_matches?: { name: string }; load_assignment?: { cluster_name: string; endpoints?: { lb_endpoints?: { endpoint?: { address: Cluster } }[] }[] } };`),
    ).toEqual([
      'Address.socket_adress: envoy.config.core.v3.Address has no field "socket_adress"',
      'Cluster.name: number is not the JSON form of string (a string)',
      'Cluster.type: "DNS" is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType (STATIC, STRICT_DNS, LOGICAL_DNS, EDS, ORIGINAL_DST)',
      'Cluster.connect_timeout: { seconds: number; } is not the JSON form of google.protobuf.Duration (a string such as "5s")',
      'Cluster.transport_socket_matches: is repeated in the proto, so a list',
      'Cluster.load_assignment.endpoints[].lb_endpoints[].endpoint.address: the model type Cluster is envoy.config.cluster.v3.Cluster, the field is envoy.config.core.v3.Address',
    ]);
  });

  it('knows the message of every type URL it names (but RawBuffer, which nothing emits)', () => {
    const urls = [...Object.values(TYPE_URLS), ...Object.values(EXTENSION_TYPE_URLS)].filter((u) => u !== EXTENSION_TYPE_URLS.RawBuffer);
    for (const url of urls) expect(() => messageType(url.slice(url.lastIndexOf('/') + 1)), url).not.toThrow();
  });
});
