// Lint: typescript-eslint's recommended rules, with unused names allowed when they start with _. They hold
// no formatting rule (checked with --print-config), so nothing here fights Prettier (prettier.config.js).
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/**', 'node_modules/**', 'web/dist/**'] }, ...tseslint.configs.recommended, {
  rules: {
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    '@typescript-eslint/no-explicit-any': 'off',
  },
});
