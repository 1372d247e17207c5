/**
 * The bash grammar NAVI's judge parses with (tree-sitter-bash in WASM), for tests that need the
 * syntax tree itself: where the command names are (corpusVariants.test.ts) and whether a text
 * parsed without errors (fuzz.test.ts).
 */

import * as fs from 'node:fs';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { initParser, locateWasm } from '../../../server/exec/parse';

let parser: Promise<Parser> | undefined;

/** A parser of its own (the judge's is private to parse.ts), loaded once. */
export function bashParser(): Promise<Parser> {
  parser ??= (async () => {
    await initParser(); // Parser.init, once, for both
    const language = await Language.load(await fs.promises.readFile(locateWasm('tree-sitter-bash.wasm')));
    const p = new Parser();
    p.setLanguage(language);
    return p;
  })();
  return parser;
}

/** True when tree-sitter read all of `text` without an ERROR or MISSING node. */
export function parsesCleanly(p: Parser, text: string): boolean {
  const tree = p.parse(text);
  if (!tree) return false;
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

/** Every node of a tree, parents before children, in text order. */
export function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) if (child) yield* walk(child);
}
