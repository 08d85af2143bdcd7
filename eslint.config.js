import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.mpibox/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Input validation deliberately matches control characters (NUL, ESC…) to refuse them.
      'no-control-regex': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a string-literal union.' },
      ],
    },
  },
  {
    // STYLE.md: domain/, commands/ and services/ never import transport, cloud or driver code.
    files: ['src/domain/**', 'src/commands/**', 'src/services/**', 'src/ports/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@slack/*', '@azure/*', 'ssh2', 'node-cron', 'better-sqlite3'],
              message: 'Only adapters and main.ts import drivers.',
            },
            {
              group: ['**/adapters/**', '**/providers/**', '**/surfaces/**'],
              message: 'Depend on ports, not adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    // STYLE.md rule 4: only config/ reads the environment.
    files: ['src/**'],
    ignores: ['src/config/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through config/.' },
      ],
    },
  },
);
