import { createHash } from 'node:crypto';

/**
 * Secret keys in rotation: the first signs, every one verifies. To rotate, put the new key
 * first and keep the old one after it until what it signed has expired (access tokens:
 * ACCESS_TOKEN_SECONDS; media URLs: MEDIA_URL_SECONDS), then drop it.
 */
export class KeyRing {
  readonly keys: readonly Buffer[];
  constructor(keys: readonly Buffer[]) {
    const [first] = keys;
    if (!first) throw new Error('a key ring needs at least one key');
    this.keys = keys;
  }

  /** The key new signatures are made with. */
  get current(): Buffer {
    return this.keys[0] as Buffer;
  }

  /** A short public name for a key (a JWT's `kid`): the start of its SHA-256. */
  static id(key: Buffer): string {
    return createHash('sha256').update(key).digest('base64url').slice(0, 12);
  }

  /** The key a `kid` names; a token without one was signed before rotation existed: the current key. */
  byId(kid: string | undefined): Buffer | undefined {
    return kid === undefined ? this.current : this.keys.find((k) => KeyRing.id(k) === kid);
  }
}
