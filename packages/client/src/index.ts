/** The typed client for the adapter's HTTP API, for Node and browsers alike (it needs only `fetch`). */
import type {
  Asset,
  AssetPage,
  AuditPage,
  AssetWithShapes,
  BulkMarkersBody,
  Comment,
  CompleteBody,
  CompleteDirectUploadBody,
  CreateDirectUploadBody,
  CreateImportBody,
  CreateMarkerBody,
  CreateSubtitleBody,
  DeletedAssetList,
  DeletedAssetQuery,
  DirectUpload,
  ErrorResponse,
  EventBusTicket,
  ExportMarkersQuery,
  FailBody,
  HeartbeatBody,
  ImportRecord,
  ImportMarkersBody,
  Job,
  LeaseBody,
  LeasedJob,
  LevelsQuery,
  LevelsResponse,
  ListAssetsQuery,
  ListAuditQuery,
  ListJobsQuery,
  ListMarkersQuery,
  LoudnessQuery,
  LoudnessResponse,
  Marker,
  Project,
  ProjectList,
  ProjectMember,
  ProjectMemberList,
  ProjectRole,
  QcBody,
  Shape,
  SignedParts,
  TokenResponse,
  UpdateAssetBody,
  UpdateMarkerBody,
  UploadOptions,
  User,
} from '@frameproof/core';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/**
 * The typed client for the adapter's API. Jobs, analyze and the tests use it; it needs only
 * `fetch`, so it runs in Node and in browsers.
 */
export class FrameproofClient {
  constructor(
    readonly baseUrl: string,
    public accessToken?: string,
  ) {}

  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    let body: RequestInit['body'];
    if (options.body instanceof FormData) body = options.body;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const res = await fetch(url, { method, headers, body, signal: options.signal });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, parsed as ErrorResponse | undefined);
    return parsed as T;
  }

  /** The refresh token of the last `login` or `refresh`, which `refresh()` trades in. */
  refreshToken?: string;

  async login(username: string, password: string): Promise<TokenResponse> {
    return this.keep(
      await this.request<TokenResponse>('POST', '/api/auth/login', { body: { username, password } }),
    );
  }

  /** New tokens for the same session (no new sign-in), from the refresh token `login` kept. */
  async refresh(): Promise<TokenResponse> {
    if (!this.refreshToken) throw new Error('no refresh token: log in first');
    const refreshToken = this.refreshToken;
    return this.keep(
      await this.request<TokenResponse>('POST', '/api/auth/refresh', { body: { refreshToken } }),
    );
  }

  private keep(tokens: TokenResponse): TokenResponse {
    this.accessToken = tokens.accessToken;
    this.refreshToken = tokens.refreshToken;
    return tokens;
  }
  me = () => this.request<User>('GET', '/api/auth/me');
  /**
   * A one-time ticket for the live-event WebSocket: connect to `/api/eventbus?ticket=…` within
   * about 30 s. Tokens never go in a URL (proxies log URLs).
   */
  eventBusTicket = () => this.request<EventBusTicket>('POST', '/api/eventbus/ticket');
  /** The audit log (admins): who changed QC status, markers, comments and users, newest first. */
  listAudit = (query: ListAuditQuery = {}) => this.request<AuditPage>('GET', '/api/audit', { query });

  /** The projects one belongs to, with one's role in each (admins: all). */
  listProjects = () => this.request<ProjectList>('GET', '/api/projects');
  createProject = (name: string) => this.request<Project>('POST', '/api/projects', { body: { name } });
  renameProject = (id: string, name: string) =>
    this.request<Project>('PATCH', `/api/projects/${id}`, { body: { name } });
  listProjectMembers = (id: string) => this.request<ProjectMemberList>('GET', `/api/projects/${id}/members`);
  putProjectMember = (id: string, userId: string, role?: ProjectRole) =>
    this.request<ProjectMember>('PUT', `/api/projects/${id}/members/${userId}`, {
      body: role ? { role } : {},
    });
  removeProjectMember = (id: string, userId: string) =>
    this.request<undefined>('DELETE', `/api/projects/${id}/members/${userId}`);

  listAssets = (query: ListAssetsQuery = {}) => this.request<AssetPage>('GET', '/api/assets', { query });
  getAsset = (id: string) => this.request<AssetWithShapes>('GET', `/api/assets/${id}`);
  updateAsset = (id: string, body: UpdateAssetBody) =>
    this.request<Asset>('PATCH', `/api/assets/${id}`, { body });
  setQc = (id: string, body: QcBody) => this.request<Asset>('POST', `/api/assets/${id}/qc`, { body });
  /** Soft delete (restorable for ASSET_RETENTION_DAYS); `hard: true` (admins) removes it for good. */
  deleteAsset = (id: string, options: { hard?: boolean } = {}) =>
    this.request<undefined>('DELETE', `/api/assets/${id}`, options.hard ? { query: { hard: true } } : {});
  restoreAsset = (id: string) => this.request<Asset>('POST', `/api/assets/${id}/restore`);
  listDeletedAssets = (query: DeletedAssetQuery = {}) =>
    this.request<DeletedAssetList>('GET', '/api/assets/deleted', { query });
  /** One-request upload; `projectId` is needed by who belongs to several projects. */
  uploadAsset(file: Blob, filename: string, title?: string, projectId?: string): Promise<Asset> {
    const form = new FormData();
    if (title !== undefined) form.set('title', title);
    if (projectId !== undefined) form.set('projectId', projectId);
    form.set('file', file, filename);
    return this.request<Asset>('POST', '/api/assets', { body: form });
  }

  /** Whether this adapter takes uploads straight to its storage (S3), or through tus. */
  uploadOptions = () => this.request<UploadOptions>('GET', '/api/upload-options');
  createDirectUpload = (body: CreateDirectUploadBody) =>
    this.request<DirectUpload>('POST', '/api/direct-uploads', { body });
  getDirectUpload = (id: string) => this.request<DirectUpload>('GET', `/api/direct-uploads/${id}`);
  signParts = (id: string, partNumbers: number[]) =>
    this.request<SignedParts>('POST', `/api/direct-uploads/${id}/parts`, { body: { partNumbers } });
  reportPart = (id: string, partNumber: number, etag: string) =>
    this.request<undefined>('PUT', `/api/direct-uploads/${id}/parts/${partNumber}`, { body: { etag } });
  completeDirectUpload = (id: string, body: CompleteDirectUploadBody = {}) =>
    this.request<Asset>('POST', `/api/direct-uploads/${id}/complete`, { body });
  abortDirectUpload = (id: string) => this.request<undefined>('DELETE', `/api/direct-uploads/${id}`);

  /** Registers objects already in the storage as assets (no copy); follow it with getImport. */
  createImport = (body: CreateImportBody) => this.request<ImportRecord>('POST', '/api/imports', { body });
  getImport = (id: string) => this.request<ImportRecord>('GET', `/api/imports/${id}`);

  listMarkers = (assetId: string, query: ListMarkersQuery = {}) =>
    this.request<{ items: Marker[] }>('GET', `/api/assets/${assetId}/markers`, { query });
  createMarker = (assetId: string, body: CreateMarkerBody) =>
    this.request<Marker>('POST', `/api/assets/${assetId}/markers`, { body });
  createMarkers = (assetId: string, body: BulkMarkersBody) =>
    this.request<{ items: Marker[] }>('POST', `/api/assets/${assetId}/markers/bulk`, { body });
  updateMarker = (assetId: string, markerId: string, body: UpdateMarkerBody) =>
    this.request<Marker>('PATCH', `/api/assets/${assetId}/markers/${markerId}`, { body });
  deleteMarker = (assetId: string, markerId: string) =>
    this.request<undefined>('DELETE', `/api/assets/${assetId}/markers/${markerId}`);
  addComment = (assetId: string, markerId: string, body: string) =>
    this.request<Comment>('POST', `/api/assets/${assetId}/markers/${markerId}/comments`, { body: { body } });

  importMarkers = (assetId: string, body: ImportMarkersBody) =>
    this.request<{ items: Marker[] }>('POST', `/api/assets/${assetId}/markers/import`, { body });
  /** The markers as a file: its text, its type, and the file name the server gives it. */
  async exportMarkers(
    assetId: string,
    query: ExportMarkersQuery,
    signal?: AbortSignal,
  ): Promise<{ text: string; contentType: string; fileName: string }> {
    const url = new URL(`/api/assets/${assetId}/markers/export`, this.baseUrl);
    url.searchParams.set('format', query.format);
    if (query.group !== undefined) url.searchParams.set('group', query.group);
    const headers: Record<string, string> = {};
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    const res = await fetch(url, { headers, signal });
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, text ? (JSON.parse(text) as ErrorResponse) : undefined);
    const disposition = res.headers.get('content-disposition') ?? '';
    return {
      text,
      contentType: res.headers.get('content-type') ?? '',
      fileName: /filename="([^"]*)"/.exec(disposition)?.[1] ?? `markers.${query.format}`,
    };
  }
  attachSubtitles = (assetId: string, body: CreateSubtitleBody) =>
    this.request<Shape>('POST', `/api/assets/${assetId}/subtitles`, { body });
  deleteSubtitles = (assetId: string, shapeId: string) =>
    this.request<undefined>('DELETE', `/api/assets/${assetId}/subtitles/${shapeId}`);

  listJobs = (query: ListJobsQuery = {}) => this.request<{ items: Job[] }>('GET', '/api/jobs', { query });
  retryJob = (id: string) => this.request<Job>('POST', `/api/jobs/${id}/retry`);
  cancelJob = (id: string) => this.request<Job>('POST', `/api/jobs/${id}/cancel`);

  // The analyze service (`/api/analyze`: the same origin behind the gateway or load balancer, or
  // a client whose baseUrl is analyze itself). One measurement per audio track serves both.
  getLoudness = (assetId: string, track: number, query: LoudnessQuery = {}, signal?: AbortSignal) =>
    this.request<LoudnessResponse>('GET', `/api/analyze/assets/${assetId}/audio/${track}/loudness`, {
      query,
      signal,
    });
  getLevels = (assetId: string, track: number, query: LevelsQuery = {}, signal?: AbortSignal) =>
    this.request<LevelsResponse>('GET', `/api/analyze/assets/${assetId}/audio/${track}/levels`, {
      query,
      signal,
    });

  // The worker protocol (service account only).
  lease = (body: LeaseBody) => this.request<{ jobs: LeasedJob[] }>('POST', '/api/runner/lease', { body });
  heartbeat = (jobId: string, body: HeartbeatBody) =>
    this.request<{ leaseExpiresAt: string }>('POST', `/api/runner/jobs/${jobId}/heartbeat`, { body });
  complete = (jobId: string, body: CompleteBody) =>
    this.request<Job>('POST', `/api/runner/jobs/${jobId}/complete`, { body });
  fail = (jobId: string, body: FailBody) =>
    this.request<Job>('POST', `/api/runner/jobs/${jobId}/fail`, { body });
  release = (jobId: string, leaseToken: string) =>
    this.request<Job>('POST', `/api/runner/jobs/${jobId}/release`, { body: { leaseToken } });
}
export * from './direct-upload.js';
