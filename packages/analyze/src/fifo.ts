/**
 * ffmpeg's PCM through a named pipe read into one reused buffer. A child's stdout comes to Node as
 * a stream that allocates a fresh 64 KB buffer for every read and passes it through the stream
 * machinery; for a whole programme (700 MB an hour of stereo) that cost the service more CPU than
 * ffmpeg's own decoding. A FIFO opened here is read by a socket with `onread` (Node's documented
 * zero-allocation read): the same bytes, several times cheaper.
 */
import { execFile } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes read at most at once (a pipe holds 64 KB). */
const READ_BYTES = 256 * 1024;

/** false once `mkfifo` has failed (not installed): the caller reads stdout instead. */
let available = true;

export interface Fifo {
  readonly path: string;
  /**
   * Reads the FIFO until its writer closes it, handing each read to `take`; a returned promise
   * pauses reading (and keeps the bytes valid) until it settles. `writerDone` settles when the
   * process that writes (or was to write) has exited: a writer that never opened the FIFO would
   * otherwise leave the read waiting for ever. Resolves when everything is read; `stop()` ends it
   * early.
   */
  read(take: (bytes: Buffer) => Promise<void> | undefined, writerDone: Promise<unknown>): Promise<void>;
  stop(): void;
  /** Removes the FIFO. */
  remove(): Promise<void>;
}

/** A new FIFO in its own temporary folder, or undefined where none can be made. */
export async function createFifo(): Promise<Fifo | undefined> {
  if (!available) return undefined;
  let dir: string | undefined;
  let path: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'frameproof-pcm-'));
    path = join(dir, 'pcm');
    const fifoPath = path;
    await new Promise<void>((resolve, reject) =>
      execFile('mkfifo', ['-m', '600', fifoPath], (err) => (err ? reject(err) : resolve())),
    );
  } catch {
    // No mkfifo, or no writable temporary folder: stdout serves, as it did.
    available = false;
    if (dir) await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  const folder = dir;
  let socket: Socket | undefined;
  return {
    path,
    read(take, writerDone) {
      // Non-blocking: opening for reading must not wait for the writer.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      return new Promise<void>((resolve, reject) => {
        let failed = false;
        // `onread` is a constructor option since Node 12 (documented there since 22); the types
        // list it only for connect().
        const options: SocketConstructorOpts & { onread: OnReadOpts } = {
          fd,
          readable: true,
          writable: false,
          onread: {
            buffer,
            callback: (n: number) => {
              const pending = take(buffer.subarray(0, n));
              if (!pending) return true;
              pending.then(
                () => s.resume(),
                (err: unknown) => {
                  failed = true;
                  s.destroy();
                  reject(err);
                },
              );
              return false;
            },
          },
        };
        const s = new Socket(options);
        socket = s;
        s.once('end', () => {
          s.destroy();
          resolve();
        });
        s.once('close', () => {
          if (!failed) resolve();
        });
        s.once('error', (err) => {
          failed = true;
          reject(err);
        });
        // When the writer has exited, a writer of our own opens and closes the FIFO: the reader
        // then sees the end after what is buffered, even if the real writer never opened it.
        const ending = () => {
          try {
            closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // No reader any more: the read has ended already.
          }
        };
        writerDone.then(ending, ending);
      });
    },
    stop() {
      socket?.destroy();
    },
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}
