/**
 * Whether the integration tests run things in containers, decided by checking what they will use: the
 * mode (CAUSEWAY_IT_CONTAINERS=auto|always|never, default auto), a container engine that answers, and the
 * local images (deploy/docker/build-local-images.sh) present — or built here when asked to. No image is
 * ever pulled: no registry is reachable, so every image is one of ours. testcontainers' reaper (ryuk) is
 * an image from a registry too, so it is off; the harness removes what it starts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

/** The local images (names as build-local-images.sh tags them). */
export const IMAGES = {
  causeway: process.env.CAUSEWAY_IMAGE || 'causeway:local',
  nats: 'causeway-local/nats:2.9',
  postgres: 'causeway-local/postgres:15',
  demoApp: 'causeway-local/demo-app:latest',
} as const;

/** build-local-images.sh's name for each image (its --only). */
const BUILD_NAME: Record<string, string> = { [IMAGES.causeway]: 'causeway', [IMAGES.nats]: 'nats', [IMAGES.postgres]: 'postgres', [IMAGES.demoApp]: 'demo-app' };

export type ContainerMode = 'auto' | 'always' | 'never';

export function containerMode(env: Record<string, string | undefined> = process.env): ContainerMode {
  const v = env.CAUSEWAY_IT_CONTAINERS || 'auto';
  if (v === 'auto' || v === 'always' || v === 'never') return v;
  throw new Error(`CAUSEWAY_IT_CONTAINERS: must be auto, always or never, got ${JSON.stringify(v)}`);
}

export type Decision = { use: true; reason: string } | { use: false; reason: string };

/**
 * Decides whether to use containers with `images`. `build`: build missing images with
 * build-local-images.sh (minutes) instead of answering no. With CAUSEWAY_IT_CONTAINERS=always a "no" is an
 * error naming the reason.
 */
export async function decideContainers(images: readonly string[], opts: { build: boolean }): Promise<Decision> {
  const mode = containerMode();
  const decision = await decide(mode, images, opts.build);
  if (!decision.use && mode === 'always') throw new Error(`CAUSEWAY_IT_CONTAINERS=always, but containers cannot be used: ${decision.reason}`);
  return decision;
}

async function decide(mode: ContainerMode, images: readonly string[], build: boolean): Promise<Decision> {
  if (mode === 'never') return { use: false, reason: 'CAUSEWAY_IT_CONTAINERS=never' };
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  try {
    client = await getContainerRuntimeClient();
  } catch (e) {
    return { use: false, reason: `no container engine answers (${(e as Error).message.split('\n')[0]})` };
  }
  const rt = client.info.containerRuntime;
  const engine = `${rt.operatingSystem} ${rt.serverVersion}`;
  const missing: string[] = [];
  for (const image of images) if (!(await client.image.exists(ImageName.fromString(image)))) missing.push(image);
  if (!missing.length) return { use: true, reason: `container engine ${engine}, images present: ${images.join(', ')}` };
  if (!build) return { use: false, reason: `container engine ${engine}, but missing images: ${missing.join(', ')} (bash deploy/docker/build-local-images.sh builds them)` };
  const only = missing.map((i) => BUILD_NAME[i] ?? i);
  console.log(`[containers] building ${missing.join(', ')} with deploy/docker/build-local-images.sh --only ${only.join(' ')} (minutes)`);
  const r = spawnSync('bash', [join(ROOT, 'deploy/docker/build-local-images.sh'), '--only', ...only], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) return { use: false, reason: `container engine ${engine}, but building ${missing.join(', ')} failed (${r.signal ?? `exit code ${r.status}`})` };
  return { use: true, reason: `container engine ${engine}, images built here: ${missing.join(', ')}` };
}
