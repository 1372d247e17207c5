// Lint: typescript-eslint's recommended rules, plus the boundaries from docs/ARCHITECTURE.md:
// only extension/ (and its in-host tests) may import `vscode`; protocol/ imports only zod and
// the JSON-RPC types.
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        {
          name: 'vscode',
          message: 'Only extension/ may import `vscode`; keep the agent, CLI and protocol host-independent.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      'test/fixtures/**/repo/**',
      '.navi-cache/**',
      'bin/**',
      'test-results/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      ...noVscode,
    },
  },
  {
    files: ['extension/**/*.ts', 'test/vscode/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*', '!./*'], message: 'protocol/ imports only zod, vscode-jsonrpc and itself.' },
            {
              group: ['vscode', 'vscode-languageserver*', 'vscode-languageclient*'],
              message: 'protocol/ imports only zod and vscode-jsonrpc.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['cli/**/*.ts', 'scripts/**', 'test/**', '*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // Plain JavaScript has no type checker to catch a name that was never imported or declared.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-undef': 'error' },
  },
  {
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
  },
);
