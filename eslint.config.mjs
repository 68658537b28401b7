// `npm run lint` (and test/checks/static-checks.test.ts in `npm test`). A small rule set the code meets; each rule says
// why it is here. Type errors are tsc's job (`npm run typecheck`), imports between rooms dependency-cruiser's
// (`npm run deps`). No rule needs type information: type-aware linting took ~20 s here instead of ~3 s.
import { fileURLToPath } from 'node:url';
import comments from '@eslint-community/eslint-plugin-eslint-comments';
import { defineConfig, includeIgnoreFile } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  // What git ignores (node_modules, cdk.out, .local-aws, reports) is generated, not written: not linted.
  includeIgnoreFile(fileURLToPath(new URL('.gitignore', import.meta.url)), 'files git ignores'),
  {
    name: 'stream-pipeline',
    files: ['**/*.{ts,js,mjs,cjs}'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin, '@eslint-community/eslint-comments': comments },
    linterOptions: {
      // A disable comment that suppresses nothing any more is a stale exemption: remove it.
      reportUnusedDisableDirectives: 'error',
      reportUnusedInlineConfigs: 'error',
    },
    rules: {
      // House rule: no `any` without a reason. The reason is the disable comment's description (next rule):
      // `// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK types this field loosely`.
      '@typescript-eslint/no-explicit-any': 'error',
      // Every eslint-disable carries its reason after ` -- `, so the exemption can be judged in review.
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: ['eslint-enable'] }],
      // A bare `eslint-disable` turns off every rule, also those added later; name the rule.
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      // A block `/* eslint-disable rule */` ends with `/* eslint-enable rule */`, not silently at the end of the file.
      '@eslint-community/eslint-comments/disable-enable-pair': 'error',
      // Dead bindings mislead a reader; tsc's noUnusedLocals misses some (unused catch bindings, for one).
      // Leave one out on purpose with a leading `_`, or as the rest sibling of a destructuring that drops keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Type-only imports say so (`import type`, or `type` inside the braces: both are the house style). tsx and
      // esbuild then drop them without looking, and the dependency rules can tell a type-only import from a
      // runtime one (a type from another room costs a Lambda bundle nothing).
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
]);
