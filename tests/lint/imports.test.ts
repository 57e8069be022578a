import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root });

/** The import rules' complaints about `code` as if it were the file at `path`. */
async function complaints(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? [])
    .filter(
      (m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'frameproof/no-relative-across-packages',
    )
    .map((m) => m.ruleId ?? '');
}

describe('services do not import each other', () => {
  it('catches another service by package name and by relative path', async () => {
    assert.deepEqual(await complaints('packages/jobs/src/x.ts', "import '@frameproof/adapter';\n"), [
      'no-restricted-imports',
    ]);
    assert.deepEqual(await complaints('packages/jobs/src/x.ts', "import '../../adapter/src/app.js';\n"), [
      'frameproof/no-relative-across-packages',
    ]);
    assert.deepEqual(
      await complaints('packages/analyze/src/routes/x.ts', "export * from '../../../core/src/index.js';\n"),
      ['frameproof/no-relative-across-packages'],
    );
  });

  it('lets a package import its own files and core by name', async () => {
    assert.deepEqual(
      await complaints(
        'packages/jobs/src/processors/x.ts',
        "import '../runner.js';\nimport '@frameproof/core';\nimport '@frameproof/media-kit';\n",
      ),
      [],
    );
  });
});
