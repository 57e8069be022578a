/** Errors with an HTTP meaning. The central error handler turns them into answers. */
export class AnalyzeError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** The request parameter at fault, for 400 answers. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const badRequest = (field: string, message: string) => new AnalyzeError(400, message, field);
export const notFound = (message: string) => new AnalyzeError(404, message);
/** The file has no audio to analyse. */
export const noAudio = (message = 'the file has no audio stream') => new AnalyzeError(422, message);
