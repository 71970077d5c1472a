/**
 * The `causeway` command tree (commander). `runCli` never exits the process: it returns the exit code,
 * so the whole CLI can be driven in-process by tests.
 */
import { readFileSync } from 'node:fs';
import { cliTypeNames, descriptorByCliName, isPolicyType } from '@causeway/core';
import { Command, CommanderError, Option } from 'commander';
import { ApplyError, applyAll, decodeInputs, parseVars, readInputs } from './apply.js';
import { bashCompletion, completionSpec, fishCompletion, zshCompletion } from './completion.js';
import { registerConfigCommand } from './config-command.js';
import { CONFIG_ENV, clientFor, type GlobalOptions } from './connect.js';
import { collect, pageSize } from './flags.js';
import { formatError } from './format.js';
import { registerGenerateCommand } from './generate-command.js';
import { deleteCommand, getCommand } from './get.js';
import { registerImportCommand } from './import/command.js';
import { INSPECT_VIEWS } from './inspect.js';
import { registerInspectCommand } from './inspect-command.js';
import type { CliIo } from './io.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { typesHelp } from './types.js';
import { UsageError } from './usage.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

/** Positional words the completion offers after a command path. */
function completionWords(path: string): string[] {
  const types = cliTypeNames().flatMap((plural) => {
    const d = descriptorByCliName(plural)!;
    return [plural, d.cli.singular];
  });
  if (path === 'get' || path === 'delete') return [...new Set(types)];
  if (path === 'inspect') {
    const policies = cliTypeNames().filter((n) => isPolicyType(descriptorByCliName(n)!.type)).map((n) => descriptorByCliName(n)!.cli.singular);
    return [...Object.keys(INSPECT_VIEWS), 'dataplane', 'zone-ingress', 'zone-egress', 'external-service', ...policies];
  }
  return [];
}

export function buildProgram(io: CliIo): Command {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  const program = new Command('causeway')
    .description('Command line client of the Causeway control plane (kumactl-style)')
    .version(VERSION, '--version', 'print the version of causeway')
    .option('--config-file <file>', `CLI config file (default $${CONFIG_ENV}, else ~/.causeway/config.yaml)`)
    .option('--control-plane <name>', 'use this configured control plane instead of the current one')
    .option('--address <url>', 'talk to this control plane address (no config needed)')
    .option('--auth-token-file <file>', 'file holding the admin token (with --address, or to override the configured one)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  registerConfigCommand(program, io);

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

  registerInspectCommand(program, io, (cmd) => clientFor(globals(cmd), io));
  registerGenerateCommand(program, io, (cmd) => clientFor(globals(cmd), io));

  const completion = program.command('completion').description('print a shell completion script (bash, zsh or fish)');
  const shells = [
    { shell: 'bash', write: bashCompletion, use: 'source <(causeway completion bash)' },
    { shell: 'zsh', write: zshCompletion, use: 'causeway completion zsh > ~/.zsh/completions/_causeway, a directory of $fpath' },
    { shell: 'fish', write: fishCompletion, use: 'causeway completion fish > ~/.config/fish/completions/causeway.fish' },
  ];
  for (const { shell, write, use } of shells)
    completion
      .command(shell)
      .description(`print the ${shell} completion script (${use})`)
      .action(() => io.stdout(write(completionSpec(program, completionWords))));

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
    return e instanceof UsageError ? 2 : 1;
  }
}
