/** Helpers shared by the repositories for turning rows into API objects. */
export const iso = (d: Date | string | null): string | null =>
  d === null ? null : new Date(d).toISOString();
export const isoRequired = (d: Date | string): string => new Date(d).toISOString();
