/**
 * The `causeway config` commands: `view` and `control-planes add|list|switch|remove`.
 */
import { CausewayError } from '@causeway/core';
import { type Command, Option } from 'commander';
import { configPath, type GlobalOptions } from './connect.js';
import { addCommand, listCommand, parseKeyValues, removeCommand, switchCommand, viewCommand } from './control-planes.js';
import { collect } from './flags.js';
import type { CliIo } from './io.js';
import { OUTPUT_FORMATS, type OutputFormat, outputRefused } from './output.js';

interface AddFlags {
  name: string;
  overwrite: boolean;
  caCertFile?: string;
  skipVerify: boolean;
  headers: string[];
  authType?: string;
  authConf: string[];
}

export function registerConfigCommand(program: Command, io: CliIo): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();
  const config = program.command('config').description('the CLI config: the control planes it talks to');
  config
    .command('view')
    .description('print the CLI config (tokens and secret-looking header values redacted)')
    .addOption(new Option('-o, --output <format>', 'yaml or json').choices(OUTPUT_FORMATS as string[]).default('yaml'))
    .action((o: { output: OutputFormat }, cmd: Command) => {
      if (o.output === 'table') throw outputRefused('table', 'config view', ['yaml', 'json']);
      viewCommand(configPath(globals(cmd), io), o.output, io);
    });

  const cps = config.command('control-planes').description('add, list, switch and remove control planes');
  cps
    .command('add')
    .description('add a control plane (checks that it answers) and make it the current one')
    .requiredOption('--name <name>', 'name for the control plane')
    // --address and --auth-token-file share their spelling with the global options, so commander hands
    // them to the program: read them from the merged options.
    .option('--address <url>', 'API address, e.g. http://127.0.0.1:5681 or https://cp.example.com:5682 (required)')
    .option('--auth-token-file <file>', 'file holding the admin token (its path is stored, read at use time)')
    .option('--auth-type <type>', 'authentication plugin (kumactl\'s): "tokens", with --auth-conf token=<admin token> (the token is stored in the config, mode 0600)')
    .option('--auth-conf <key=value>', 'settings of --auth-type: token=<admin token>', collect, [])
    .option('--ca-cert-file <file>', 'CA certificate (PEM) to verify an https:// address with (its path is stored, read at use time)')
    .option('--skip-verify', 'do not verify the certificate of an https:// address', false)
    .option('--headers <key=value>', 'header sent with every request; repeatable, or key=value,key2=value2', collect, [])
    .option('--overwrite', 'replace a control plane of the same name', false)
    .addHelpText(
      'after',
      `
Examples:
  $ causeway config control-planes add --name global --address http://127.0.0.1:5681 --auth-token-file ~/.causeway/global-token
  $ causeway config control-planes add --name prod --address https://cp.example.com:5682 --ca-cert-file ca.pem --headers x-tenant=blue
  $ causeway config control-planes add --name prod --address https://cp.example.com:5682 --auth-type tokens --auth-conf token=$TOKEN --overwrite`,
    )
    .action(async (o: AddFlags, cmd: Command) => {
      const g = globals(cmd);
      if (!g.address) throw new CausewayError('INVALID', 'the address of the control plane is required', [{ field: '--address', reason: 'is required, e.g. http://127.0.0.1:5681' }]);
      await addCommand(
        configPath(g, io),
        {
          name: o.name,
          address: g.address,
          overwrite: o.overwrite,
          ...(g.authTokenFile ? { authTokenFile: g.authTokenFile } : {}),
          ...(o.caCertFile !== undefined ? { caCertFile: o.caCertFile } : {}),
          ...(o.skipVerify ? { skipVerify: true } : {}),
          ...(o.headers.length > 0 ? { headers: parseKeyValues('--headers', o.headers) } : {}),
          ...(o.authType !== undefined ? { authType: o.authType } : {}),
          ...(o.authConf.length > 0 ? { authConf: parseKeyValues('--auth-conf', o.authConf) } : {}),
        },
        io,
      );
    });
  cps
    .command('list')
    .description('list the configured control planes')
    .addOption(new Option('-o, --output <format>', 'output format (yaml/json: tokens redacted)').choices(OUTPUT_FORMATS as string[]).default('table'))
    .action((o: { output: OutputFormat }, cmd: Command) => listCommand(configPath(globals(cmd), io), o.output, io));
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
}
