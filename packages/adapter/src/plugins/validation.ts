import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { errorBody, HttpError } from '@frameproof/core';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean | 'array') {
  // TypeBox adds its own markers to schemas, which strict mode would reject as unknown keywords.
  const ajv = new Ajv({
    strict: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    allErrors: false,
  });
  return addFormats(ajv);
}

/** The field a validation error is about, as a dotted path: `start.frame`, `markers.3.title`. */
export function fieldOf(error: FastifySchemaValidationError, context?: string): string {
  const parts = error.instancePath.split('/').filter(Boolean);
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (params.missingProperty) parts.push(params.missingProperty);
  if (params.additionalProperty) parts.push(params.additionalProperty);
  return parts.join('.') || context || 'body';
}

/**
 * Bodies are checked strictly (no type coercion, unknown fields refused); query strings and
 * path parameters are coerced from text. Every error answers as JSON with a status, a message
 * and, for bad input, the field.
 */
export function installValidation(app: FastifyInstance) {
  const strict = makeAjv(false);
  const lenient = makeAjv('array');
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? strict : lenient).compile(schema);
    // Ajv's error objects are what Fastify's type describes, under another name.
    return validate as unknown as (data: unknown) => boolean;
  });
  app.setSchemaErrorFormatter((errors, context) => {
    const first = errors[0] as FastifySchemaValidationError;
    const field = fieldOf(first, context);
    const err = new HttpError(400, `${field}: ${first.message ?? 'is not valid'}`, field);
    return err;
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.headers) reply.headers(error.headers);
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message, error.field));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status, error.message));
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send(errorBody(500, `something went wrong on our side; the request id is ${request.id}`));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
