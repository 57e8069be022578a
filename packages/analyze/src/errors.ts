import { badRequest, HttpError, unprocessable } from '@frameproof/core';

/** Errors with an HTTP meaning are core's `HttpError`; the central error handler answers them. */
export { badRequest, HttpError };
/** 404 with the whole message (core's `notFound` names only the missing thing). */
export const notFound = (message: string) => new HttpError(404, message);
/** The file has no audio to analyse. */
export const noAudio = (message = 'the file has no audio stream') => unprocessable(message);
