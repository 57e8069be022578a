import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where a generated admin password goes on the first start. Logs are collected (CloudWatch on
 * ECS), so it is printed only to an interactive terminal; otherwise it is written to a file only
 * its owner can read, and the log says where.
 */
export async function announceAdminPassword(
  password: string,
  out: { isTTY: boolean; write(text: string): void; dataDir: string },
): Promise<string | undefined> {
  if (out.isTTY) {
    out.write(
      `\n  First start: an admin account was created.\n  username: admin\n  password: ${password}\n  (set FRAMEPROOF_ADMIN_PASSWORD to choose it; this is the only time it is shown)\n\n`,
    );
    return undefined;
  }
  await mkdir(out.dataDir, { recursive: true, mode: 0o700 });
  const file = join(out.dataDir, 'admin-password');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return file;
}
