import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, UNAUTHORIZED_EVENT, api } from '../api/client.ts';
import type { User } from '../api/types.ts';

/** The session as components see it: the user (null when signed out), sign in, sign out. */
export interface Session {
  user: User | null;
  /** True until `GET /api/auth/me` has answered once. */
  loading: boolean;
  /** True when the last session ended because the server no longer knew it. */
  expired: boolean;
  login(username: string, password: string): Promise<User>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

// Asked as soon as the script runs, not after the first render: the first page waits for the answer.
const firstCheck: Promise<User | null> = api<{ user: User }>('/api/auth/me', { quiet401: true }).then(
  (r) => r.user,
  (err: unknown) => {
    if (!(err instanceof ApiError && err.status === 401)) console.warn('session check failed', err);
    return null;
  },
);

/**
 * Keeps the signed-in user: asks `GET /api/auth/me` on load (the `gf_session` cookie is httpOnly, so only the
 * server knows), signs in and out through the API, and drops the user when any call answers 401.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    let live = true;
    void firstCheck.then((u) => {
      if (!live) return;
      setUser(u);
      setLoading(false);
    });
    const onUnauthorized = (): void => {
      setUser((u) => {
        if (u) setExpired(true);
        return null;
      });
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => {
      live = false;
      window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    };
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const r = await api<{ user: User }>('/api/auth/login', {
      body: { username, password },
      quiet401: true,
    });
    setExpired(false);
    setUser(r.user);
    return r.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api('/api/auth/logout', { method: 'POST', quiet401: true });
    } finally {
      setUser(null);
    }
  }, []);

  const value = useMemo(
    () => ({ user, loading, expired, login, logout }),
    [user, loading, expired, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session. */
export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
