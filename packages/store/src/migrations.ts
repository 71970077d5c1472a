import { fileURLToPath } from 'node:url';

/**
 * The drizzle-kit migrations folder (`packages/store/drizzle`). Resolved from this module's URL so it
 * works from `src/` (tests) and from `dist/` (the built package) alike.
 */
export function migrationsFolder(): string {
  return fileURLToPath(new URL('../drizzle', import.meta.url));
}
