import { defineConfig } from 'eslint/config';
import baseConfig from './.config/eslint.config.mjs';

export default defineConfig([
  {
    // pkg/ is the Go backend.
    ignores: ['**/node_modules/', '**/dist/', '**/coverage/', 'pkg/', '**/.eslintcache'],
  },
  ...baseConfig,
]);
