/**
 * Build outputs and caches: what builds, test runs, tools and package managers write again and
 * again. Data only, so overwrite.ts and paths.ts read the same list without importing each other.
 */

/**
 * What builds, test runs, tools and package managers write again and again: overwriting a file
 * there, or deleting one of these folders whole (`rm -rf dist`, paths.ts isBuildOutputFolder),
 * loses nothing a person wrote, so it asks (`destructive`) rather than being refused. Patterns as in
 * sensitivePaths.ts: a name without `/` matches at any depth, and a folder covers everything in it.
 * `node_modules` is one too, but a protected one: deleting the whole folder is deleting a cache
 * `npm ci` rebuilds; writing into it (or deleting a package in it) stays denied.
 */
export const BUILD_OUTPUT: readonly string[] = [
  'node_modules',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  '.nyc_output',
  '.cache',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.parcel-cache',
  '*.egg-info',
  '*.log',
  '*.tsbuildinfo',
  '*.pyc',
];
