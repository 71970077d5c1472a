/**
 * The admin token, kept in the browser's session storage (gone when the tab closes; never in local
 * storage, a cookie or the URL).
 */
export const TOKEN_KEY = 'causeway.gui.token';

export interface TokenStore {
  get(): string | undefined;
  set(token: string): void;
  clear(): void;
}

export function sessionTokenStore(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined): TokenStore {
  return {
    get: () => {
      try {
        return storage?.getItem(TOKEN_KEY) || undefined;
      } catch {
        return undefined;
      }
    },
    set: (token) => {
      try {
        storage?.setItem(TOKEN_KEY, token.trim());
      } catch {
        // storage disabled: the token lives as long as the page
      }
    },
    clear: () => {
      try {
        storage?.removeItem(TOKEN_KEY);
      } catch {
        // nothing stored
      }
    },
  };
}
