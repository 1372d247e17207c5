/**
 * Everything NAVI knows about programs, by name. A name that is not here is an
 * `unknown-command` (ask): NAVI never guesses that an unfamiliar program is harmless.
 */

import { FILE_TOOLS } from './files';
import { GIT_TOOLS } from './git';
import { INTERPRETER_TOOLS, interpreterSpecFor } from './interpreters';
import { NETWORK_TOOLS } from './network';
import { PACKAGE_TOOLS } from './packages';
import { SYSTEM_TOOLS } from './system';
import type { ToolSpec } from './types';

const TOOLS: ReadonlyMap<string, ToolSpec> = new Map(
  Object.entries({
    ...FILE_TOOLS,
    ...NETWORK_TOOLS,
    ...PACKAGE_TOOLS,
    ...INTERPRETER_TOOLS,
    ...SYSTEM_TOOLS,
    ...GIT_TOOLS,
  }),
);

export function lookupTool(name: string): ToolSpec | undefined {
  const known = TOOLS.get(name);
  if (known) return known;
  if (/^mkfs\./.test(name)) return TOOLS.get('mkfs');
  return interpreterSpecFor(name);
}

/** All program names in the table (for docs and tests). */
export function knownTools(): string[] {
  return [...TOOLS.keys()].sort();
}
