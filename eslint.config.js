// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/cdk.out/**', 'data/**', 'bench/results/**', '.tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
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
    // Benchmarks measure services from the outside and may start them in-process.
    files: ['bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
