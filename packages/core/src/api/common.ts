import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether a string from outside is a UUID (what the `uuid` format accepts). */
export const isUuid = (value: string) => UUID_PATTERN.test(value);
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const Timestamp = Type.String({ format: 'date-time' });

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'The request field at fault, for 400 answers.' })),
  },
  { $id: 'ErrorResponse' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/**
 * `T | null`. Written as a type array (`["string", "null"]`) rather than `anyOf`, because the
 * response serializer handles type arrays natively but checks `anyOf` branch by branch per value,
 * which made large responses (10,000 markers) several times slower.
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const type = (schema as { type?: unknown }).type;
  if (typeof type !== 'string') return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]));
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
}

/** A page of results with an opaque cursor for the next page (null on the last). */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

export const JsonObject = Type.Record(Type.String(), Type.Unknown());
