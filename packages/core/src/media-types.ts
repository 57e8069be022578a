/**
 * What a stored file's type may be, and how it is served. An uploader's claimed MIME type is
 * kept only when it is on this list; anything else is stored as `application/octet-stream`. A
 * file served from our origin that is not video, audio or a raster image is a download, in a
 * sandbox, never a page: `text/html` claimed by an uploader must not run script on our origin.
 */
const STORABLE = new Set([
  'video/mp4',
  'video/quicktime',
  'video/x-matroska',
  'video/webm',
  'video/mpeg',
  'video/mp2t',
  'video/x-msvideo',
  'video/x-m4v',
  'application/mxf',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/flac',
  'audio/ogg',
  'audio/webm',
  'audio/aiff',
  'audio/x-aiff',
  'image/jpeg',
  'image/png',
  'image/webp',
  'text/vtt',
  'application/x-subrip',
  'application/octet-stream',
]);

/** Raster images, video and audio may be shown inline; SVG is a document and is not. */
const INLINE = /^(video\/|audio\/|image\/(jpeg|png|webp)$)/;

/** The type to store for a client's claimed type (lower-cased, parameters dropped). */
export function storableMediaType(claimed: string | undefined): string {
  const type = (claimed ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return STORABLE.has(type) ? type : 'application/octet-stream';
}

export function servedInline(mimeType: string): boolean {
  return INLINE.test(mimeType);
}

/** Headers for serving a stored file from our origin. */
export function mediaResponseHeaders(mimeType: string, fileName: string): Record<string, string> {
  const inline = servedInline(mimeType);
  const safeName = fileName.replace(/[^\w.-]+/g, '_').slice(0, 200) || 'media';
  return {
    'content-type': inline ? mimeType : storableMediaType(mimeType),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${safeName}"`,
    // Signed media may be played from the app's origin when media has an origin of its own.
    'cross-origin-resource-policy': 'cross-origin',
  };
}

const BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  ts: 'video/mp2t',
  m2ts: 'video/mp2t',
  avi: 'video/x-msvideo',
  mxf: 'application/mxf',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  aif: 'audio/aiff',
  aiff: 'audio/aiff',
};

/**
 * The media type a file name suggests, for objects found in storage (an import), when it names
 * a video or audio programme; undefined for anything else.
 */
export function programmeTypeOfName(name: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return ext ? BY_EXTENSION[ext] : undefined;
}
