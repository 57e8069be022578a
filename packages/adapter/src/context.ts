import { randomBytes } from 'node:crypto';
import { openStorage, type Storage, type UploadTarget } from '@frameproof/storage';
import type { AdapterConfig } from './config.js';
import { type Database, openPglite, openPostgres } from './db/database.js';
import { migrate } from './db/migrate.js';
import { SessionsRepository } from './repositories/sessions.js';
import { SettingsRepository, UsersRepository } from './repositories/users.js';
import { AssetService } from './services/assets.js';
import { AuditService } from './services/audit.js';
import { AuthService } from './services/auth.js';
import { DirectUploadService } from './services/direct-uploads.js';
import { EventBus, type EventBusOptions } from './services/event-bus.js';
import { MarkerService } from './services/markers.js';
import { ProjectService } from './services/projects.js';
import { KeyRing } from './services/key-ring.js';
import { MediaUrls } from './services/media-urls.js';
import { generatePassword } from './services/passwords.js';
import { ImportService } from './services/imports.js';
import { Ingest } from './services/ingest.js';
import { JobQueue } from './services/queue.js';
import { SubtitleService } from './services/subtitles.js';

/** Everything the routes use, wired once. Plain objects: tests build one and call them directly. */
export interface AppContext {
  config: AdapterConfig;
  db: Database;
  storage: Storage;
  events: EventBus;
  auth: AuthService;
  users: UsersRepository;
  assets: AssetService;
  markers: MarkerService;
  /** Projects, their members, and who may see and do what on an asset. */
  projects: ProjectService;
  /** The ingest workflow: what each finished step starts next, and steps run again. */
  ingest: Ingest;
  subtitles: SubtitleService;
  queue: JobQueue;
  mediaUrls: MediaUrls;
  /** Uploads straight to the storage (S3 multipart with presigned part URLs). */
  directUploads: DirectUploadService;
  /** Objects already in the storage registered as assets (no copy). */
  imports: ImportService;
  /** Reads the audit log; services write it with `audit.record` in their transactions. */
  audit: AuditService;
  /** The tus upload area, once the upload routes opened it (the sweep of expired uploads uses it). */
  uploads?: UploadTarget;
  /**
   * Set once SIGTERM arrived: the health check answers 503 `draining` so the load balancer
   * takes this instance out, and every answer closes its connection.
   */
  draining?: boolean;
  /** Set on the first start when the admin password was generated: print it once. */
  generatedAdminPassword?: string;
  close(): Promise<void>;
}

export async function openDatabase(config: AdapterConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite(`${config.dataDir}/db`);
}

export interface ContextOptions {
  /** The clock deletions are stamped with and the sweep purges by (tests move it). */
  now?: () => Date;
  /** Told when the storage refused to abort a direct upload (main logs it). */
  onAbortError?: (err: unknown, upload: { id: string; key: string }) => void;
  /** Told when an import stops on an error (main logs it). */
  onImportError?: (err: unknown) => void;
  /** How the event bus waits for missing events and reads the table (tests shorten them). */
  events?: EventBusOptions;
}

/**
 * The keys a secret is signed with: the configured ones (and any copy in the database is
 * deleted, so that a backup cannot mint tokens); else one generated and kept in the database,
 * so that every adapter instance signs and verifies with the same key.
 */
async function keyRing(settings: SettingsRepository, name: string, configured?: Buffer[]): Promise<KeyRing> {
  if (configured?.length) {
    await settings.delete(name);
    return new KeyRing(configured);
  }
  const stored = await settings.getOrCreate(name, () => randomBytes(32).toString('base64url'));
  return new KeyRing([Buffer.from(stored, 'base64url')]);
}

export async function createContext(
  config: AdapterConfig,
  db?: Database,
  storage?: Storage,
  options: ContextOptions = {},
): Promise<AppContext> {
  db ??= await openDatabase(config);
  storage ??= openStorage(config.storageUrl);
  await migrate(db);
  const settings = new SettingsRepository(db);
  const signingKeys = await keyRing(settings, 'jwt_secret', config.signingSecrets);
  const mediaUrlKeys = await keyRing(settings, 'media_url_secret', config.mediaUrlSecrets);
  const users = new UsersRepository(db);
  const events = new EventBus(db, options.events);
  await events.start();
  const projects = new ProjectService(db, users, events);
  await projects.ensureOne();
  const auth = new AuthService(db, users, new SessionsRepository(db), events, signingKeys, config);
  const { generatedAdminPassword } = await auth.ensureAccounts(
    { password: config.adminPassword, generate: generatePassword },
    config.runner,
  );
  const queue = new JobQueue(db, events, config);
  const mediaUrls = new MediaUrls(storage, mediaUrlKeys, config.mediaUrlSeconds);
  const markers = new MarkerService(db, events);
  // Ingest and assets need each other: an upload starts ingest, ingest writes through assets.
  const assets: AssetService = new AssetService(
    db,
    storage,
    mediaUrls,
    events,
    (changes, id, source) => ingest.start(changes, id, source),
    { retentionDays: config.assetRetentionDays, now: options.now },
  );
  const ingest: Ingest = new Ingest(queue, assets, markers, config);
  const imports = new ImportService(db, storage, assets, options.onImportError);
  queue.setOwner(ingest);
  return {
    config,
    db,
    storage,
    events,
    auth,
    users,
    queue,
    mediaUrls,
    assets,
    markers,
    projects,
    ingest,
    subtitles: new SubtitleService(db, storage, mediaUrls, events),
    directUploads: new DirectUploadService(db, storage, assets, {
      maxBytes: config.uploadMaxBytes,
      expirySeconds: config.uploadExpirySeconds,
      partUrlSeconds: config.mediaUrlSeconds,
      now: options.now,
      onAbortError: options.onAbortError,
    }),
    imports,
    audit: new AuditService(db),
    generatedAdminPassword,
    async close() {
      queue.stopReaper();
      assets.stopSweeper();
      await imports.stop();
      await events.stop();
      await db.close();
    },
  };
}
