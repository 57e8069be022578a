/** What `/settings.js` (served by the frontend's server, from the configuration bucket on AWS) sets. */
export interface AppSettings {
  apiUrl?: string;
  eventBusUrl?: string;
  oidc?: { issuer: string; clientId: string; scope?: string } | null;
  features?: Record<string, boolean>;
  /** Bytes per tus request (default 16 MiB); smaller means finer resume points. */
  uploadChunkBytes?: number;
}

declare global {
  interface Window {
    frameproofSettings?: AppSettings;
  }
}

export const settings: AppSettings = window.frameproofSettings ?? {};
/** The API's origin: the page's own behind the load balancer, unless settings name another. */
export const apiBase = settings.apiUrl || location.origin;
export const eventBusBase = settings.eventBusUrl || apiBase.replace(/^http/, 'ws');
export const feature = (name: string) => settings.features?.[name] !== false;

/** The identity provider: settings' oidc, else keycloak.json's realm, else local accounts. */
export async function oidcSettings(): Promise<{ issuer: string; clientId: string; scope?: string } | null> {
  if (settings.oidc?.issuer) return settings.oidc;
  if (settings.oidc === null) return null;
  const res = await fetch('/keycloak.json').catch(() => null);
  if (!res?.ok) return null;
  const kc = (await res.json()) as { realm?: string; 'auth-server-url'?: string; resource?: string };
  if (!kc.realm || !kc['auth-server-url'] || !kc.resource) return null;
  return {
    issuer: `${kc['auth-server-url'].replace(/\/$/, '')}/realms/${encodeURIComponent(kc.realm)}`,
    clientId: kc.resource,
  };
}
