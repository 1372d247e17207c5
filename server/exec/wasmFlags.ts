import * as v8 from 'node:v8';

/**
 * Keeps WebAssembly in V8's baseline compiler (Liftoff). By default V8 re-compiles the grammar's
 * hot lexer with its optimising compiler a second after the first verdicts: about a second of CPU
 * and 30-50 MB more memory for the rest of the agent's life, for no measurable gain in verdict time
 * (docs/BENCHMARKS.md). The flags must be set before the first WebAssembly module compiles; set
 * once, they apply to the whole process (the agent, or a test or benchmark that judges commands).
 * The agent's launcher sets them before it compiles the bundle (cli/launch.ts): V8 refuses a code
 * cache made under other flags.
 */
export const WASM_BASELINE_FLAGS = ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'] as const;

export function keepWasmBaseline(): void {
  for (const flag of WASM_BASELINE_FLAGS) v8.setFlagsFromString(flag);
}
