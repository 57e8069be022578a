import { createHash } from 'node:crypto';
import { assetKeys, type AssetWithShapes, type MediaFile } from '@frameproof/core';
import { ApiError, FrameproofClient } from '@frameproof/client';
import { HttpError, noAudio, notFound } from './errors.js';

/** One audio track of an asset, as ffmpeg should read it. */
export interface AudioSource {
  /** A local path or a (signed) URL. */
  input: string;
  /** ffmpeg `-map` of the track's stream, e.g. `0:a:0` or `0:3`. */
  map: string;
  /** Stable while the bytes are the same: asset id, track, and the file's identity. */
  cacheKey: string;
  channels: number;
  sampleRate: number;
  /** From the metadata; the decoded length may differ slightly. */
  durationSeconds: number;
  /** What is decoded: the track's audio proxy, the original file, or a local file (tests, tools). */
  kind: SourceKind;
  /**
   * Where results computed from these bytes are kept in storage (a key prefix from core's
   * `assetKeys(...).analysis`); undefined: on this task's disk only.
   */
  resultsKey?: string;
}

export type SourceKind = 'audio-proxy' | 'original' | 'file';
/** Which file to read: the track's audio proxy when there is one (small, fast), or the original. */
export type SourcePreference = 'proxy' | 'original';

/**
 * Finds the audio of an asset's track and checks that the caller may read it. Throws HttpError:
 * 401/403 as the adapter answers, 404 for an unknown asset or track, 409 for an asset not yet
 * probed, 422 for an asset without audio.
 */
export interface AssetResolver {
  resolve(
    assetId: string,
    track: number,
    authorization: string | undefined,
    prefer?: SourcePreference,
  ): Promise<AudioSource>;
}

/** What a route's request names: the asset and track in its path, the source it prefers, its caller. */
export interface TrackRequest {
  params: { assetId: string; track: number };
  headers: { authorization?: string };
  query: { source?: SourcePreference };
}

/** The audio a request names, read with the caller's own token. */
export function sourceOf(resolver: AssetResolver, req: TrackRequest): Promise<AudioSource> {
  return resolver.resolve(req.params.assetId, req.params.track, req.headers.authorization, req.query.source);
}

/**
 * Picks the file to decode for a track: the track's audio proxy (unless the original is
 * preferred), else the original with the track's stream mapped.
 */
export function sourceFromAsset(
  asset: AssetWithShapes,
  track: number,
  prefer: SourcePreference = 'proxy',
): Omit<AudioSource, 'cacheKey'> & { file: MediaFile } {
  const technical = asset.technical;
  if (!technical) throw new HttpError(409, 'the asset has not been probed yet; try again when it is ready');
  if (technical.audio.length === 0) throw noAudio('the asset has no audio tracks');
  const stream = technical.audio.find((a) => a.track === track);
  if (!stream) {
    throw notFound(`audio track ${track} not found; the asset has ${technical.audio.length} audio track(s)`);
  }
  const duration =
    technical.durationSeconds > 0
      ? technical.durationSeconds
      : asset.durationFrames && asset.frameRate
        ? (asset.durationFrames * asset.frameRate.den) / asset.frameRate.num
        : 0;
  const proxy =
    prefer === 'proxy'
      ? asset.shapes.find((s) => s.type === 'audio-proxy' && s.track === track && s.files.length > 0)
      : undefined;
  if (proxy) {
    const meta = proxy.metadata;
    const num = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);
    return {
      file: proxy.files[0] as MediaFile,
      input: (proxy.files[0] as MediaFile).url,
      map: '0:a:0',
      kind: 'audio-proxy',
      channels: num(meta.channels, stream.channels),
      sampleRate: num(meta.sampleRate, stream.sampleRate),
      durationSeconds: num(meta.durationSeconds, duration),
    };
  }
  const original = asset.shapes.find((s) => s.type === 'original' && s.files.length > 0);
  if (!original) throw notFound('the asset has no readable media file');
  const file = original.files[0] as MediaFile;
  return {
    file,
    input: file.url,
    map: `0:${stream.index}`,
    kind: 'original',
    channels: stream.channels,
    sampleRate: stream.sampleRate,
    durationSeconds: duration,
  };
}

/** The default time an adapter answer is reused for (`AP_ANALYZE_AUTH_TTL_SECONDS`). */
export const AUTH_TTL_MS = 2_000;

/** When a JWT's `exp` says it ends (ms), without checking it: the adapter checks it. */
function tokenExpiry(token: string | undefined): number | undefined {
  try {
    const exp = (
      JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString()) as { exp?: unknown }
    ).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the adapter (`GET /api/assets/{id}`) with the caller's own token, so the adapter decides who
 * may read what, and analyze needs no signing keys. Answers are kept per token and asset for
 * `ttlMs` (2 s) at most, and never past the token's own expiry, so a timeline's burst of window
 * requests costs one adapter call. That is also how long a revoked token (a sign-out, a disabled
 * user) may still be served here; less, once the adapter refuses the token once (401 or 403 for
 * any asset): every answer kept for that token is dropped at that moment.
 */
export class AdapterAssetResolver implements AssetResolver {
  /** Per token (a hash of it), per asset id. */
  private readonly memo = new Map<
    string,
    Map<string, { expires: number; asset: Promise<AssetWithShapes> }>
  >();

  constructor(
    readonly adapterUrl: string,
    private readonly ttlMs = AUTH_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(
    assetId: string,
    track: number,
    authorization: string | undefined,
    prefer: SourcePreference = 'proxy',
  ): Promise<AudioSource> {
    const asset = await this.fetchAsset(assetId, authorization);
    const { file, ...source } = sourceFromAsset(asset, track, prefer);
    const cacheKey = `${asset.id}/${track}/${file.id}/${file.checksum ?? file.size}`;
    const version = createHash('sha256').update(cacheKey).digest('hex').slice(0, 32);
    return { ...source, cacheKey, resultsKey: assetKeys(asset.id).analysis(track, version) };
  }

  private fetchAsset(assetId: string, authorization: string | undefined): Promise<AssetWithShapes> {
    const key = createHash('sha256')
      .update(authorization ?? '')
      .digest('base64url');
    const now = this.now();
    const hit = this.memo.get(key)?.get(assetId);
    if (hit && hit.expires > now) return hit.asset;
    if (this.memo.size > 1000) {
      for (const [k, assets] of this.memo) {
        for (const [id, v] of assets) if (v.expires <= now) assets.delete(id);
        if (!assets.size) this.memo.delete(k);
      }
    }
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    const client = new FrameproofClient(this.adapterUrl, token);
    const asset = client.getAsset(assetId).catch((err: unknown) => {
      const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
      if (refused) this.memo.delete(key);
      else this.memo.get(key)?.delete(assetId);
      throw translate(err);
    });
    const expires = Math.min(now + this.ttlMs, tokenExpiry(token) ?? Infinity);
    if (expires > now) {
      const assets = this.memo.get(key) ?? new Map();
      this.memo.set(key, assets.set(assetId, { expires, asset }));
    }
    return asset;
  }
}

function translate(err: unknown): Error {
  if (err instanceof ApiError) {
    if (err.status === 401 || err.status === 403 || err.status === 404) {
      return new HttpError(
        err.status,
        err.body?.message ?? (err.status === 404 ? 'asset not found' : 'not allowed'),
      );
    }
    return new HttpError(502, `the adapter answered ${err.status}`);
  }
  return new HttpError(502, `the adapter could not be reached: ${(err as Error).message}`);
}
