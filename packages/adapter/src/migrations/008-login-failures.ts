// Failed sign-ins, counted in the database so that every adapter instance behind the load
// balancer sees the same counts: one row per account (`account:<lowercased name>`) and per client
// address (`address:<ip>`). `last_ms` is the last failure's time, in milliseconds since 1970.
export default /* sql */ `
CREATE TABLE login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  last_ms bigint NOT NULL
);
CREATE INDEX login_failures_last_idx ON login_failures (last_ms);
`;
