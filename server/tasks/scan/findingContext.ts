import { ENV_FILE, ENV_TEMPLATE } from '../../exec/knowledge/secretFiles';
import { baseOf } from './types';

/**
 * Where a secret was found decides what it most likely is. A key in `test/fixtures/`, an example,
 * the docs or vendored code is test data far more often than a leak, and telling people to rotate
 * it teaches them to ignore the report; a key in source, in CI configuration or in a committed
 * `.env` file is treated as live. The reason is shown with each finding, so a user can judge.
 */

export interface FindingContext {
  /** True when the finding is test data (fixture, example, docs, vendored, a known test key). */
  testData: boolean;
  /** A few words a user reads: `test fixture (test/fixtures/)`, `in source code`… */
  reason: string;
}

/** Folder names and what a finding below them is. The first match along the path wins. */
const FOLDERS: readonly [RegExp, string][] = [
  [/^(?:node_modules|vendor|vendored|third[_-]party|bower_components|external|deps)$/i, 'vendored code'],
  [
    /^(?:tests?|__tests__|spec|specs|e2e|testing|fixtures?|__fixtures__|testdata|test[_-]data|__mocks__|mocks?|wpt|web-platform-tests)$/i,
    'test fixture',
  ],
  [/^(?:examples?|samples?|demos?|playgrounds?|sandbox(?:es)?|templates?)$/i, 'example'],
  [/^(?:docs?|documentation|website|site)$/i, 'documentation'],
];

const TEST_FILE =
  /(?:\.(?:test|spec)\.[cm]?[jt]sx?$|_test\.(?:go|py|rb|exs?)$|^test_[^/]*\.py$|_spec\.rb$|(?:Tests?|IT)\.(?:java|kt|cs|fs|scala)$)/;
/** CI configuration outside the detected files (the scan's CI list covers the rest). */
const CI_PATH =
  /^(?:\.github\/workflows\/|\.gitlab-ci\.yml$|\.circleci\/|azure-pipelines\.ya?ml$|Jenkinsfile$|\.buildkite\/|\.travis\.yml$)/;

/** The context of a finding at `path` (relative to the root); `ciPaths` are the CI files the scan found. */
export function findingContext(path: string, ciPaths: ReadonlySet<string>, testKey?: string): FindingContext {
  const base = baseOf(path);
  // Whatever folder holds them, these are read by real tools with real credentials.
  if (ENV_FILE.test(base) && !ENV_TEMPLATE.test(base)) return { testData: false, reason: 'in a .env file' };
  if (ciPaths.has(path) || CI_PATH.test(path)) return { testData: false, reason: 'in CI configuration' };
  if (testKey) return { testData: true, reason: testKey };
  const parts = path.split('/');
  for (let i = 0; i < parts.length - 1; i++) {
    const found = FOLDERS.find(([pattern]) => pattern.test(parts[i]!));
    if (!found) continue;
    // `test/fixtures/` rather than `test/`: the next folder often says more, when it is of the same kind.
    const end = i + 1 < parts.length - 1 && found[0].test(parts[i + 1]!) ? i + 2 : i + 1;
    return { testData: true, reason: `${found[1]} (${parts.slice(0, end).join('/')}/)` };
  }
  if (TEST_FILE.test(base)) return { testData: true, reason: 'test file' };
  // A README or other page outside a docs folder is published with the code: a key there is a leak.
  return { testData: false, reason: 'in source or configuration' };
}

/**
 * Keys published as test keys by their provider: they grant nothing in production. The text is
 * the raw match and never leaves this function; only the label does.
 */
const TEST_KEYS: readonly [RegExp, string][] = [
  [/^[rsp]k_test_/, 'Stripe test-mode key'],
  [/^(?:AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY)$/, 'AWS documentation example key'],
  [/EXAMPLE/, 'documented example value'],
];

/** The label of a well-known test key, when `raw` (the sensitive part of a match) is one. */
export function wellKnownTestKey(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  return TEST_KEYS.find(([pattern]) => pattern.test(raw))?.[1];
}
