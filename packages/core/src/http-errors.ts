import type { ErrorResponse } from './api/common.js';

/** An error that becomes an HTTP answer with this status and message (adapter and analyze). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** The request field at fault, for 400 answers. */
    readonly field?: string,
    /** Headers the answer carries (Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, field?: string) => new HttpError(400, message, field);
export const unauthorized = (message = 'authentication required') => new HttpError(401, message);
export const forbidden = (message = 'you do not have permission to do this') => new HttpError(403, message);
export const notFound = (what: string) => new HttpError(404, `${what} not found`);
export const conflict = (message: string) => new HttpError(409, message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, message, undefined, { 'retry-after': String(retryAfterSeconds) });
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new HttpError(503, message, undefined, { 'retry-after': String(retryAfterSeconds) });
/** The request is understood but the file cannot give what it asks (no audio to analyse). */
export const unprocessable = (message: string) => new HttpError(422, message);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The reason phrase of a status, as the error body's `error`. */
export const httpStatusText = (status: number) =>
  STATUS_TEXT[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');

/** The body of every error answer: `{ statusCode, error, message, field? }`. */
export function errorBody(statusCode: number, message: string, field?: string): ErrorResponse {
  return { statusCode, error: httpStatusText(statusCode), message, ...(field ? { field } : {}) };
}
