/**
 * The `causeway inspect` command: one dispatcher for the overviews (`inspect dataplanes`, `services`, ...),
 * one proxy (`inspect dataplane NAME --type ...`), one policy's dataplanes (`inspect meshtimeout NAME`)
 * and one ExternalService's traffic (`inspect external-service NAME`).
 */
import { type Command, Option } from 'commander';
import { pageSize } from './flags.js';
import { INSPECT_VIEWS, findView, inspectCommand } from './inspect.js';
import { EXTERNAL_SERVICE_VIEWS, inspectExternalServiceCommand } from './inspect-external-service.js';
import { policyDescriptor, inspectPolicyCommand } from './inspect-policy.js';
import { INSPECT_ONE_TYPES, type InspectOneType, inspectOneCommand } from './inspect-proxy.js';
import type { CliIo } from './io.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import type { CliClient } from './transport.js';
import { usageError } from './usage.js';

interface InspectFlags {
  mesh?: string;
  output: OutputFormat;
  type?: InspectOneType;
  size?: number;
  offset?: string;
}

const flagError = usageError;

export function registerInspectCommand(program: Command, io: CliIo, clientOf: (cmd: Command) => CliClient): void {
  program
    .command('inspect')
    .description(
      'overviews with status (meshes, zones, zone-ingresses, zone-egresses, dataplanes, services), one proxy (dataplane NAME --type ...), ' +
        'the dataplanes a policy selects (<policy-type> NAME), or the traffic to one ExternalService (external-service NAME)',
    )
    .argument('<what>', `${Object.keys(INSPECT_VIEWS).join('|')}|dataplane|zone-ingress|zone-egress|external-service|<policy-type>`)
    .argument('[name]', 'one dataplane / zone-ingress / zone-egress, policy or ExternalService')
    .option('-m, --mesh <mesh>', 'only this mesh (meshes, dataplanes); the mesh of services, a dataplane, policy or ExternalService NAME (default "default")')
    .addOption(new Option('-o, --output <format>', 'output format (--type config-dump|config: json or yaml; stats and clusters: text only)').choices(OUTPUT_FORMATS as string[]).default('table'))
    .addOption(new Option('--type <type>', 'with a dataplane NAME: what to show (default policies; zone proxies: config-dump)').choices(INSPECT_ONE_TYPES as unknown as string[]))
    .option('--size <n>', 'page size (1-1000)', pageSize)
    .option('--offset <offset>', 'offset of the page')
    .addHelpText(
      'after',
      `
Examples:
  $ causeway inspect dataplanes -m default
  $ causeway inspect services -m default
  $ causeway inspect dataplane web-1.zone-1 -m default                 # policies (against global: NAME.ZONE)
  $ causeway inspect dataplane web-1 -m default --type config-dump -o yaml
  $ causeway inspect dataplane web-1 -m default --type stats
  $ causeway inspect meshtrafficpermission allow-all -m default
  $ causeway inspect external-service httpbin -m default`,
    )
    .action(async (what: string, name: string | undefined, o: InspectFlags, cmd: Command) => {
      const outputGiven = cmd.getOptionValueSource('output') === 'cli';
      const paging = o.size !== undefined || o.offset !== undefined;
      const noPaging = (what: string) => {
        if (paging) throw flagError(o.size !== undefined ? '--size' : '--offset', `${what} is not a list`, 'applies to lists only: leave it out');
      };
      const noType = (what: string) => {
        if (o.type !== undefined) throw flagError('--type', `--type does not apply to ${what}`, 'applies to one dataplane, zone-ingress or zone-egress NAME');
      };
      const client = clientOf(cmd);
      if (EXTERNAL_SERVICE_VIEWS.has(what.toLowerCase())) {
        if (name === undefined) throw flagError('NAME', 'inspect external-service needs the name of an ExternalService', 'is required, e.g. causeway inspect external-service httpbin -m default');
        noType('an ExternalService');
        noPaging('inspect external-service');
        await inspectExternalServiceCommand(client, name, { output: o.output, ...(o.mesh !== undefined ? { mesh: o.mesh } : {}) }, io);
        return;
      }
      const view = findView(what);
      const policy = view ? undefined : policyDescriptor(what);
      if (policy) {
        if (name === undefined) throw flagError('NAME', `inspect ${what} needs the name of a ${policy.type}`, `is required, e.g. causeway inspect ${policy.cli.singular} NAME -m default`);
        noType(`a ${policy.type}`);
        await inspectPolicyCommand(client, policy, name, { output: o.output, ...pick(o) }, io);
        return;
      }
      if (name === undefined || view === undefined) {
        noType(`inspect ${what}`);
        await inspectCommand(client, what, { output: o.output, ...pick(o) }, io);
        return;
      }
      noPaging(`inspect ${what} NAME`);
      await inspectOneCommand(client, view, name, { output: o.output, outputGiven, ...(o.type !== undefined ? { type: o.type } : {}), ...(o.mesh !== undefined ? { mesh: o.mesh } : {}) }, io);
    });
}

function pick(o: InspectFlags): { mesh?: string; size?: number; offset?: string } {
  return {
    ...(o.mesh !== undefined ? { mesh: o.mesh } : {}),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
  };
}
