import { createHash, randomUUID } from 'node:crypto';
import {
  type CreateSubtitleBody,
  parseSubtitles,
  type Shape,
  SubtitleError,
  toWebVtt,
} from '@frameproof/core';
import type { Storage } from '@frameproof/storage';
import type { Database } from '../db/database.js';
import { inTransaction } from './changes.js';
import { assetKeys, badRequest, notFound } from '@frameproof/core';
import { AssetsRepository } from '../repositories/assets.js';
import type { EventBus } from './event-bus.js';
import type { MediaUrls } from './media-urls.js';

/** Where a subtitle shape's file lives, under the asset's keys. */
export const subtitleKey = (assetId: string, shapeId: string) => assetKeys(assetId).subtitle(shapeId);

/** A BCP 47 tag in its canonical case ("en-us" is "en-US"), or a 400 naming the field. */
export function canonicalLanguage(tag: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical) return canonical;
  } catch {
    // fall through: RangeError for a tag that is not well-formed
  }
  throw badRequest(`language: "${tag}" is not a BCP 47 language tag (e.g. "en", "fr-CA")`, 'language');
}

/**
 * Subtitle files attached to an asset: checked strictly, stored as WebVTT (what a browser's
 * <track> reads) under the asset's keys, and listed with its shapes.
 */
export class SubtitleService {
  constructor(
    private readonly db: Database,
    private readonly storage: Storage,
    private readonly urls: MediaUrls,
    private readonly events: EventBus,
  ) {}

  async attach(assetId: string, body: CreateSubtitleBody, origin = ''): Promise<Shape> {
    const repo = new AssetsRepository(this.db);
    if (!(await repo.byId(assetId))) throw notFound('asset');
    const language = canonicalLanguage(body.language);
    let vtt: string;
    let cues: number;
    try {
      const parsed = await parseSubtitles(body.text, body.format);
      vtt = toWebVtt(parsed);
      cues = parsed.length;
    } catch (err) {
      if (err instanceof SubtitleError) throw badRequest(err.message, 'text');
      throw err;
    }
    const id = randomUUID();
    const key = subtitleKey(assetId, id);
    const bytes = Buffer.from(vtt, 'utf8');
    const { size } = await this.storage.put(key, bytes, 'text/vtt');
    try {
      await inTransaction(this.db, this.events, async (changes) => {
        const assets = new AssetsRepository(changes.tx);
        // The asset may have been deleted meanwhile; lock it so that it is not while we add.
        if (!(await assets.byId(assetId, { forUpdate: true }))) throw notFound('asset');
        await assets.addShape(assetId, this.storage.kind, id, {
          type: 'subtitle',
          label: body.label ?? language,
          metadata: { language, format: body.format, cues, source: 'upload' },
          files: [
            {
              key,
              size,
              checksum: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
              mimeType: 'text/vtt',
            },
          ],
        });
        changes.announce({ type: 'asset.updated', assetId, id: assetId, data: { shape: id } });
      });
    } catch (err) {
      await this.storage.delete(key).catch(() => undefined);
      throw err;
    }
    return this.shape(assetId, id, origin);
  }

  async remove(assetId: string, shapeId: string): Promise<void> {
    if (!(await new AssetsRepository(this.db).byId(assetId))) throw notFound('asset');
    const keys = await inTransaction(this.db, this.events, async (changes) => {
      const deleted = await new AssetsRepository(changes.tx).deleteShape(assetId, shapeId, 'subtitle');
      if (!deleted) throw notFound('subtitle');
      changes.announce({ type: 'asset.updated', assetId, id: assetId, data: { shape: shapeId } });
      return deleted;
    });
    for (const key of keys) await this.storage.delete(key).catch(() => undefined);
  }

  private async shape(assetId: string, shapeId: string, origin: string): Promise<Shape> {
    const shape = (await new AssetsRepository(this.db).shapes(assetId)).find((s) => s.id === shapeId);
    if (!shape) throw notFound('subtitle');
    return {
      id: shape.id,
      type: shape.type,
      track: shape.track,
      label: shape.label,
      metadata: shape.metadata,
      files: await Promise.all(shape.files.map((f) => this.urls.view(f, origin))),
    };
  }
}
