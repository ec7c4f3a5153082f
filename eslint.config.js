// Lint: type-aware rules for what bites in this domain (STYLE.md, Tooling).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const libraryFolders = ['src/pdf/**', 'src/cms/**', 'src/pades/**', 'src/validation/**'];

export default tseslint.config(
  { ignores: ['dist/**', '.test-build/**', 'node_modules/**', 'web/dist/**', 'coverage/**', 'src/server/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Error']",
          message: 'Throw a SignetError subclass with a stable code (STYLE.md, Errors).',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Take a Clock (core/clock.ts) instead of reading Date.now().',
        },
      ],
    },
  },
  {
    files: libraryFolders,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Error']",
          message: 'Throw a SignetError subclass with a stable code (STYLE.md, Errors).',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Take a Clock (core/clock.ts) instead of reading Date.now().',
        },
      ],
    },
  },
  {
    // node:test's describe/it return promises the runner tracks itself.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['src/core/clock.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['eslint.config.js', 'scripts/*.mjs', 'bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
