/**
 * Starts a control plane (global or zone) from a validated Config: store, admin token, REST API.
 * Returns a handle whose close() drains everything; main.ts wires it to signals.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@causeway/api';
import { openStore } from '@causeway/store';
import type { Logger } from 'pino';
import { loadOrCreateAdminToken } from './admin-token.js';
import type { Config } from './config.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ControlPlane {
  /** Base URL of the API, e.g. http://127.0.0.1:5681 */
  apiUrl: string;
  adminTokenFile: string;
  close(): Promise<void>;
}

export function defaultAdminTokenFile(config: Config): string {
  if (config.adminTokenFile) return config.adminTokenFile;
  if (config.dataDir) return join(config.dataDir, 'admin-token');
  return join(homedir(), '.causeway', config.mode === 'zone' ? `zone-${config.zone}-admin-token` : 'global-admin-token');
}

export async function startControlPlane(config: Config, logger: Logger): Promise<ControlPlane> {
  const instanceId = randomUUID();
  const log = logger.child({ mode: config.mode, ...(config.zone ? { zone: config.zone } : {}) });
  if (config.dataDir) mkdirSync(join(config.dataDir, 'db'), { recursive: true, mode: 0o700 });
  const store = await openStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    ...(config.dataDir ? { dataDir: join(config.dataDir, 'db') } : {}),
    logger: log.child({ component: 'store' }),
  });
  log.info({ backend: store.backend, persistent: store.backend === 'postgres' || !!config.dataDir }, 'store opened');

  const adminTokenFile = defaultAdminTokenFile(config);
  const { token, created } = loadOrCreateAdminToken(adminTokenFile);
  if (created) log.info({ adminTokenFile }, 'created a new admin token (file mode 0600); use it with: causeway config control-planes add --auth-token-file');

  const api = await buildApi({
    store,
    mode: config.mode,
    ...(config.zone ? { zone: config.zone } : {}),
    adminToken: token,
    logger: log.child({ component: 'api' }),
    version: VERSION,
    instanceId,
  });
  const address = await api.listen({ port: config.apiPort, host: config.apiAddress });
  const port = (api.server.address() as { port: number }).port;
  const apiUrl = `http://${config.apiAddress === '0.0.0.0' ? '127.0.0.1' : config.apiAddress}:${port}`;
  log.info({ address, apiUrl }, `${config.mode} control plane ready`);

  let closing: Promise<void> | undefined;
  return {
    apiUrl,
    adminTokenFile,
    close() {
      closing ??= (async () => {
        log.info('draining');
        await api.close();
        await store.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}
