/**
 * The `causeway generate` commands: nats-config, dataplane-token, zone-token, tls-certificate, signing-key.
 */
import { type Command, Option } from 'commander';
import { collect } from './flags.js';
import { generateDataplaneTokenCommand, generateNatsConfigCommand, generateZoneTokenCommand, parseTagFlag, type TagFlags } from './generate.js';
import { generateSigningKeyCommand, generateTlsCertificateCommand, type SigningKeyFormat, type TlsCertificateFlags } from './generate-tls.js';
import type { CliIo } from './io.js';
import type { CliClient } from './transport.js';

export function registerGenerateCommand(program: Command, io: CliIo, clientOf: (cmd: Command) => CliClient): void {
  const generate = program.command('generate').description('generate configuration, certificates, keys and tokens');
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
      await generateDataplaneTokenCommand(clientOf(cmd), o, io);
    });
  generate
    .command('zone-token')
    .description('issue a token for the ZoneIngress/ZoneEgress proxies of a zone (at global, like kumactl; a zone control plane issues its own zone\'s too)')
    .option('--zone <zone>', 'the zone the token is for (required at global; a zone control plane refuses another zone)')
    .option('--scope <scopes>', 'ingress, egress or ingress,egress (default both); repeatable', collect)
    .option('--valid-for <duration>', 'lifetime, e.g. 24h or 30d')
    .addHelpText(
      'after',
      `
Examples:
  $ causeway generate zone-token --zone zone-1 --valid-for 24h          # at global
  $ causeway generate zone-token --zone zone-1 --scope egress
  $ causeway --control-plane zone-1 generate zone-token --scope ingress  # at the zone itself`,
    )
    .action(async (o: { zone?: string; scope?: string[]; validFor?: string }, cmd: Command) => {
      await generateZoneTokenCommand(clientOf(cmd), o, io);
    });
  generate
    .command('tls-certificate')
    .description('generate a self-signed key and certificate pair (its own CA), e.g. for the control plane API over https')
    .addOption(new Option('--type <type>', 'type of the certificate').choices(['server', 'client']).makeOptionMandatory())
    .option('--hostname <name>', 'DNS name or IP address the certificate is for (repeatable, or name1,name2)', collect, [])
    .option('--key-file <file>', "file for the private key (mode 0600), '-' for standard output", 'key.pem')
    .option('--cert-file <file>', "file for the certificate, '-' for standard output", 'cert.pem')
    .addOption(new Option('--key-type <type>', 'type of the private key (default rsa, 2048 bits; ecdsa: P-256)').choices(['rsa', 'ecdsa']))
    .addHelpText(
      'after',
      `
Examples:
  $ causeway generate tls-certificate --type server --hostname localhost --hostname 127.0.0.1
  $ causeway generate tls-certificate --type client --hostname dataplane-1 --key-file - --cert-file -`,
    )
    .action((o: TlsCertificateFlags) => generateTlsCertificateCommand(o, io));
  generate
    .command('signing-key')
    .description('generate a private key for signing tokens (EC P-256, PKCS#8 PEM: what zone control planes sign tokens with)')
    .addOption(new Option('--format <format>', 'pem-base64 (for the data of a Secret) or pem').choices(['pem-base64', 'pem']).default('pem-base64'))
    .action((o: { format: SigningKeyFormat }) => generateSigningKeyCommand(o.format, io));
}
