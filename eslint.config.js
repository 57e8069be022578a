// @ts-check
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));
/** The workspace folder a path is in (`packages/jobs`, `infra`, `tests`, `bench`), or undefined. */
const workspaceOf = (path) => {
  const parts = relative(root, path).split(sep);
  if (parts[0] === '..') return undefined;
  return parts[0] === 'packages' ? parts.slice(0, 2).join('/') : parts[0];
};

/**
 * Packages meet through their package names (`@frameproof/core`), which the rule above checks;
 * a relative import that climbs into another package would go around it, so it is an error.
 */
const noRelativeAcrossPackages = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { across: '"{{source}}" reaches into {{target}}; import it by package name.' },
  },
  create(context) {
    const own = workspaceOf(context.filename);
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = workspaceOf(resolve(dirname(context.filename), source));
      if (target !== own)
        context.report({
          node: node.source,
          messageId: 'across',
          data: { source, target: target ?? 'a folder outside the repository' },
        });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/cdk.out/**', 'data/**', 'bench/results/**', '.tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    plugins: { frameproof: { rules: { 'no-relative-across-packages': noRelativeAcrossPackages } } },
    rules: {
      'frameproof/no-relative-across-packages': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@frameproof/adapter',
                '@frameproof/jobs',
                '@frameproof/analyze',
                '@frameproof/gateway',
              ],
              message: 'Services talk over HTTP; import @frameproof/core (or storage) instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // Benchmarks and scripts measure services from the outside and may start them in-process.
    files: ['bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off', 'frameproof/no-relative-across-packages': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
