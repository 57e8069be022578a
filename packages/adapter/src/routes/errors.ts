import { ErrorResponse } from '@frameproof/core';

/** The error answers every API route may give, for its response schema (and the docs). */
export const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
};
