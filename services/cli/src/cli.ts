/**
 * The `causeway` command tree (commander). `runCli` never exits the process: it returns the exit code,
 * so the whole CLI can be driven in-process by tests.
 */
import { readFileSync } from 'node:fs';
import { CausewayError } from '@causeway/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApplyError, applyAll, decodeInputs, parseVars, readInputs } from './apply.js';
import { type GlobalOptions, clientFor, configPath } from './connect.js';
import { addCommand, listCommand, removeCommand, switchCommand } from './control-planes.js';
import { formatError } from './format.js';
import { generateDataplaneTokenCommand, generateNatsConfigCommand, generateZoneTokenCommand, parseTagFlag, type TagFlags } from './generate.js';
import { registerImportCommand } from './import/command.js';
import { deleteCommand, getCommand, OUTPUT_FORMATS, type OutputFormat } from './get.js';
import { INSPECT_ONE_TYPES, INSPECT_VIEWS, type InspectOneType, inspectCommand, inspectOneCommand } from './inspect.js';
import { EXTERNAL_SERVICE_VIEWS, inspectExternalServiceCommand } from './inspect-external-service.js';
import type { CliIo } from './io.js';
import { typesHelp } from './types.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pageSize(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('must be an integer between 1 and 1000');
  return n;
}

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS as string[]).default('table');
}

interface ListFlags {
  mesh?: string;
  output: OutputFormat;
  size?: number;
  offset?: string;
}

function listFlags(o: ListFlags): ListFlags {
  return {
    output: o.output,
    ...(o.mesh !== undefined ? { mesh: o.mesh } : {}),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
  };
}

export function buildProgram(io: CliIo): Command {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  const program = new Command('causeway')
    .description('Command line client of the Causeway control plane (kumactl-style)')
    .version(VERSION, '--version', 'print the version of causeway')
    .option('--config <file>', 'CLI config file (default ~/.causeway/config.yaml, or $CAUSEWAY_CONFIG)')
    .option('--control-plane <name>', 'use this configured control plane instead of the current one')
    .option('--address <url>', 'talk to this control plane address (no config needed)')
    .option('--auth-token-file <file>', 'file holding the admin token (with --address, or to override the configured one)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  // config control-planes ...
  const config = program.command('config').description('manage the control planes this CLI talks to');
  const cps = config.command('control-planes').description('add, list, switch and remove control planes');
  cps
    .command('add')
    .description('add a control plane (checks that it answers) and make it the current one')
    .requiredOption('--name <name>', 'name for the control plane')
    // --address and --auth-token-file share their spelling with the global options, so commander hands
    // them to the program: read them from the merged options.
    .option('--address <url>', 'API address, e.g. http://127.0.0.1:5681 (required)')
    .option('--auth-token-file <file>', 'file holding the admin token (its path is stored, read at use time)')
    .option('--overwrite', 'replace a control plane of the same name', false)
    .action(async (o: { name: string; overwrite: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (!g.address) throw new CausewayError('INVALID', 'the address of the control plane is required', [{ field: '--address', reason: 'is required, e.g. http://127.0.0.1:5681' }]);
      await addCommand(
        configPath(g, io),
        { name: o.name, address: g.address, overwrite: o.overwrite, ...(g.authTokenFile ? { authTokenFile: g.authTokenFile } : {}) },
        io,
      );
    });
  cps
    .command('list')
    .description('list the configured control planes')
    .action((_o: unknown, cmd: Command) => listCommand(configPath(globals(cmd), io), io));
  cps
    .command('switch')
    .description('make a configured control plane the current one')
    .requiredOption('--name <name>', 'control plane name')
    .action((o: { name: string }, cmd: Command) => switchCommand(configPath(globals(cmd), io), o.name, io));
  cps
    .command('remove')
    .description('remove a configured control plane')
    .requiredOption('--name <name>', 'control plane name')
    .action((o: { name: string }, cmd: Command) => removeCommand(configPath(globals(cmd), io), o.name, io));

  program
    .command('apply')
    .description('create or update resources from YAML/JSON files (multi-document)')
    .option('-f, --file <file|dir|->', 'file, directory (*.yaml, *.yml, *.json, sorted) or - for standard input; repeatable', collect, [])
    .option('-v, --var <key=value>', 'value for {{ key }} in the files; repeatable', collect, [])
    .option('--dry-run', 'validate and print what would change, without writing', false)
    .action(async (o: { file: string[]; var: string[]; dryRun: boolean }, cmd: Command) => {
      const vars = parseVars(o.var);
      const inputs = await readInputs(o.file, io);
      // Everything is validated before anything is sent.
      const planned = decodeInputs(inputs, vars);
      await applyAll(clientFor(globals(cmd), io), planned, { dryRun: o.dryRun }, io);
    });

  registerImportCommand(program, io, (cmd) => clientFor(globals(cmd), io));

  program
    .command('get')
    .description('show resources')
    .argument('<type>', 'resource type (singular, plural or alias)')
    .argument('[name]', 'resource name (leave out to list)')
    .option('-m, --mesh <mesh>', 'mesh (mesh-scoped types; a list without it covers every mesh, a NAME defaults to mesh "default")')
    .addOption(outputOption())
    .option('--size <n>', 'page size (1-1000, server default 100)', pageSize)
    .option('--offset <offset>', 'offset of the page, from a previous "Rest of the list" hint')
    .addHelpText('after', `\nResource types:\n${typesHelp()}`)
    .action(async (type: string, name: string | undefined, o: ListFlags, cmd: Command) => {
      await getCommand(clientFor(globals(cmd), io), type, name, listFlags(o), io);
    });

  program
    .command('delete')
    .description('delete a resource')
    .argument('<type>', 'resource type (singular, plural or alias)')
    .argument('<name>', 'resource name')
    .option('-m, --mesh <mesh>', 'mesh of a mesh-scoped resource', undefined)
    .addHelpText('after', `\nResource types:\n${typesHelp()}`)
    .action(async (type: string, name: string, o: { mesh?: string }, cmd: Command) => {
      await deleteCommand(clientFor(globals(cmd), io), type, name, o.mesh !== undefined ? { mesh: o.mesh } : {}, io);
    });

  program
    .command('inspect')
    .description(
      'overviews with status (meshes, zones, zone-ingresses, zone-egresses, dataplanes), one proxy with NAME --type, or the traffic to one ExternalService (external-service NAME)',
    )
    .argument('<what>', `${Object.keys(INSPECT_VIEWS).join('|')}|external-service`)
    .argument('[name]', 'one dataplane / zone-ingress / zone-egress (zone control plane): shows --type; one ExternalService: its traffic and callers')
    .option('-m, --mesh <mesh>', 'only this mesh (meshes, dataplanes); the mesh of a dataplane or ExternalService NAME (default "default")')
    .addOption(outputOption())
    .addOption(new Option('--type <type>', 'with NAME: what to show').choices(INSPECT_ONE_TYPES as unknown as string[]).default('config-dump'))
    .option('--size <n>', 'page size (1-1000)', pageSize)
    .option('--offset <offset>', 'offset of the page')
    .action(async (what: string, name: string | undefined, o: ListFlags & { type: InspectOneType }, cmd: Command) => {
      const client = clientFor(globals(cmd), io);
      if (EXTERNAL_SERVICE_VIEWS.has(what.toLowerCase())) {
        if (name === undefined)
          throw new CausewayError('INVALID', 'inspect external-service needs the name of an ExternalService', [
            { field: 'NAME', reason: 'is required, e.g. causeway inspect external-service httpbin -m default' },
          ]);
        await inspectExternalServiceCommand(client, name, { output: o.output, ...(o.mesh !== undefined ? { mesh: o.mesh } : {}) }, io);
      } else if (name === undefined) await inspectCommand(client, what, listFlags(o), io);
      else await inspectOneCommand(client, what, name, { type: o.type, output: o.output, ...(o.mesh !== undefined ? { mesh: o.mesh } : {}) }, io);
    });

  const generate = program.command('generate').description('generate configuration and credentials');
  generate
    .command('nats-config')
    .description('print the nats-server authorization block: one user for global, one per zone, each limited to its own subjects')
    .requiredOption('--zones <zones>', 'comma-separated zone names, e.g. zone-1,zone-2')
    .option('--out <file>', 'write the block to this file (mode 0600) instead of standard output')
    .option('--credentials-dir <dir>', 'write <name>.env files with CAUSEWAY_NATS_USER/CAUSEWAY_NATS_PASSWORD for each control plane')
    .action((o: { zones: string; out?: string; credentialsDir?: string }) => generateNatsConfigCommand(o, io));
  generate
    .command('dataplane-token')
    .description(
      'issue a token a dataplane presents to its zone control plane (run against the zone), bound to its mesh, name and the kuma.io/service tags of its inbounds',
    )
    .requiredOption('-m, --mesh <mesh>', 'mesh of the dataplane')
    .requiredOption('--name <name>', 'name of the dataplane')
    .option(
      '--tag <name=values>',
      'tag the dataplane may declare, with its allowed values split by "," (repeatable): --tag kuma.io/service=web,web-admin. ' +
        'The zone refuses a dataplane whose inbounds declare another value, and tokens without a kuma.io/service tag unless it runs with --allow-untagged-dataplane-tokens',
      parseTagFlag,
    )
    .option('--valid-for <duration>', 'lifetime, e.g. 24h or 30d')
    .addHelpText(
      'after',
      `
Examples:
  $ causeway generate dataplane-token --mesh default --name web-1 --tag kuma.io/service=web --valid-for 24h
  $ causeway generate dataplane-token --mesh default --name web-1 --tag kuma.io/service=web,web-admin --tag version=v1`,
    )
    .action(async (o: { mesh: string; name: string; tag?: TagFlags; validFor?: string }, cmd: Command) => {
      await generateDataplaneTokenCommand(clientFor(globals(cmd), io), o, io);
    });
  generate
    .command('zone-token')
    .description('issue a token for ZoneIngress/ZoneEgress proxies of a zone (run against the zone)')
    .option('--scope <scopes>', 'ingress, egress or ingress,egress (default both)')
    .option('--valid-for <duration>', 'lifetime, e.g. 24h or 30d')
    .action(async (o: { scope?: string; validFor?: string }, cmd: Command) => {
      await generateZoneTokenCommand(clientFor(globals(cmd), io), o, io);
    });

  program
    .command('version')
    .description('print the version of causeway')
    .action(() => io.stdout(`${VERSION}\n`));

  return program;
}

/** Runs the CLI with `argv` (without `node` and the script). Returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (or the help / version).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof ApplyError) io.stderr(formatError(e.cause, e.context));
    else io.stderr(formatError(e));
    return 1;
  }
}
