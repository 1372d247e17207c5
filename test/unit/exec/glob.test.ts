import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  expandGlob,
  isPattern,
  type GlobOptions,
  type GlobResult,
  type QChar,
} from '../../../server/exec/glob';
import { tempDir } from '../../fixtures/builders';

// The engine is checked against the real bash (5.2 here) under LC_ALL=C, where bash sorts by bytes
// as NAVI does: focused cases for each rule, then random trees and patterns with fast-check.

/** A word written like bash source: '…' quotes, \c quotes one character, the rest is unquoted. */
function w(src: string): QChar[] {
  const out: QChar[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src[i] === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${src}`);
      for (const c of src.slice(i + 1, end)) out.push({ c, q: true });
      i = end;
    } else if (src[i] === '\\') out.push({ c: src[++i]!, q: true });
    else out.push({ c: src[i]!, q: false });
  }
  return out;
}

const quoted = (s: string): QChar[] => [...s].map((c) => ({ c, q: true }));

// Characters that mean something else to bash's parser; a word handed to bash must quote them.
const SHELL_SPECIAL = new Set([...' \t\n\'"\\$`;&|<>(){}#~']);

/** The word as bash source: quoted characters inside '…', the others as they are. */
function render(word: readonly QChar[], extglob: boolean): string {
  let out = '';
  for (let i = 0; i < word.length;) {
    const { c, q } = word[i]!;
    if (!q) {
      // Only extglob groups may use `(`, `|`, `)` unquoted; anything else would change the word.
      if (SHELL_SPECIAL.has(c) && !(extglob && '(|)'.includes(c))) throw new Error(`unquoted ${c}`);
      out += c;
      i++;
    } else {
      let run = '';
      while (i < word.length && word[i]!.q) run += word[i++]!.c;
      out += `'${run.replace(/'/g, `'\\''`)}'`;
    }
  }
  return out;
}

const OPTION_NAMES = ['dotglob', 'nullglob', 'failglob', 'extglob', 'globstar', 'nocaseglob'] as const;

interface Case {
  word: readonly QChar[];
  options: Partial<GlobOptions>;
}

/**
 * What bash does with each word: the words it produces, or a failure (failglob). One bash runs
 * all cases, a line each: shopt must precede the pattern's line for extglob to parse, and a
 * failglob error discards only the rest of its line, leaving $? = 1 for the next.
 */
function bash(cases: readonly Case[], cwd: string) {
  const lines = cases.map(({ word, options }) => {
    const shopt = OPTION_NAMES.map((n) => `shopt -${options[n] ? 's' : 'u'} ${n}`).join('; ');
    // A `for` list expands like command arguments, and yields nothing at all under nullglob.
    const loop = `for x in ${render(word, !!options.extglob)}; do printf '%s\\0' "$x"; done`;
    return `${shopt}\n${loop}\nprintf '\\1%d\\0' $?`;
  });
  const r = spawnSync('bash', ['--noprofile', '--norc', '-c', lines.join('\n')], {
    cwd,
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  });
  const results: { status: number; out: string[]; script: string }[] = [];
  let out: string[] = [];
  for (const item of r.stdout.toString('utf8').split('\0').slice(0, -1)) {
    if (!item.startsWith('\x01')) out.push(item);
    else {
      results.push({ status: Number(item.slice(1)), out, script: lines[results.length]! });
      out = [];
    }
  }
  assert.equal(results.length, cases.length, r.stderr.toString());
  return results;
}

/** Null when NAVI's result is what bash does (or NAVI declined), else a description. */
function disagreement(r: GlobResult, b: { status: number; out: string[]; script: string }) {
  if (r.kind === 'unknown') return null;
  if (r.kind === 'fail') return b.status !== 0 ? null : `bash did not fail: ${JSON.stringify(b.out)}`;
  if (b.status !== 0) return `bash failed (${b.status}), NAVI said ${JSON.stringify(r)}`;
  const ours = r.kind === 'names' ? r.names : r.word === null ? [] : [r.word];
  const same = ours.length === b.out.length && ours.every((n, i) => n === b.out[i]);
  return same ? null : `NAVI ${JSON.stringify(ours)} bash ${JSON.stringify(b.out)} for ${b.script}`;
}

describe('exec/glob', () => {
  let root: string;
  const expand = (src: string | QChar[], options: Partial<GlobOptions> = {}) => {
    const word = typeof src === 'string' ? w(src) : src;
    const r = expandGlob(word, root, options);
    if (r.kind !== 'unknown') assert.equal(disagreement(r, bash([{ word, options }], root)[0]!), null);
    return r;
  };
  const names = (src: string | QChar[], options: Partial<GlobOptions> = {}) => {
    const r = expand(src, options);
    assert.equal(r.kind, 'names', JSON.stringify(r));
    return (r as { names: string[] }).names;
  };

  before(() => {
    root = tempDir('navi-glob-');
    const hostile = ['-delete', '--exec=x', '-rf', 'a\nb', 'with space', '*', '[a]', 'a?b', "'", '$(x)'];
    for (const n of [...hostile, 'a.ts', 'b.ts', 'B.js', '.hidden', '.x.ts', 'file'])
      fs.writeFileSync(path.join(root, n), '');
    fs.mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true });
    for (const n of ['x.ts', '.y.ts', 'sub/z.ts']) fs.writeFileSync(path.join(root, 'dir', n), '');
    fs.symlinkSync('dir', path.join(root, 'link'));
    fs.symlinkSync('nowhere', path.join(root, 'dangling'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('tells pattern words from literal ones as bash does', () => {
    for (const src of ['*', 'a?', '[ab]', '[]', 'x/*', "[a'/']", "'a'*", '\\**'])
      assert.ok(isPattern(w(src)), src);
    for (const src of ['a', '[a', 'a]', '[/]', "'*'", '\\*', "'['a]", "[a']'", '\\[a\\]', '@\\(a)'])
      assert.ok(!isPattern(w(src)), src);
    // bash 5.2 sees `@(` as a pattern opener even with extglob off (only reachable via expansions).
    assert.ok(isPattern(w('@(a)')));
    // A literal word comes back as it is, even with nullglob or failglob.
    assert.deepEqual(expandGlob(w("'*'"), root, { nullglob: true, failglob: true }), {
      kind: 'names',
      names: ['*'],
    });
  });

  it('expands hostile names exactly, sorted by bytes', () => {
    assert.deepEqual(names('*'), [
      '$(x)',
      "'",
      '*',
      '--exec=x',
      '-delete',
      '-rf',
      'B.js',
      '[a]',
      'a\nb',
      'a.ts',
      'a?b',
      'b.ts',
      'dangling',
      'dir',
      'file',
      'link',
      'with space',
    ]);
    assert.deepEqual(names('-*'), ['--exec=x', '-delete', '-rf']);
    assert.deepEqual(names('a?b'), ['a\nb', 'a?b']);
    assert.deepEqual(names('*\\ *'), ['with space']);
    assert.deepEqual(names("*'*'*"), ['*']);
    assert.deepEqual(names("*'?'*"), ['a?b']);
    assert.deepEqual(names("*\\'*"), ["'"]);
    assert.deepEqual(names('\\$*'), ['$(x)']);
    assert.deepEqual(names("'$('*"), ['$(x)']);
    assert.deepEqual(names('*\\[*'), ['[a]']);
  });

  it('leaves an unmatched word as the pattern without quotes, or removes it or fails', () => {
    assert.deepEqual(expand("no'*'pe*"), { kind: 'no-match', word: 'no*pe*' });
    // `[a]` matches the name `a` only; the file called `[a]` is what the command then gets.
    assert.deepEqual(expand('[a]'), { kind: 'no-match', word: '[a]' });
    assert.deepEqual(expand('nope*', { nullglob: true }), { kind: 'no-match', word: null });
    assert.equal(expand('nope*', { failglob: true }).kind, 'fail');
    assert.equal(expand('nope*', { failglob: true, nullglob: true }).kind, 'fail');
    assert.deepEqual(expand('missing/*'), { kind: 'no-match', word: 'missing/*' });
    assert.deepEqual(expand('file/*'), { kind: 'no-match', word: 'file/*' });
  });

  it('matches a leading dot only literally, never . or ..', () => {
    assert.ok(!names('*').includes('.hidden'));
    assert.deepEqual(names('.*'), ['.hidden', '.x.ts']);
    assert.deepEqual(names("'.'*"), ['.hidden', '.x.ts']);
    assert.deepEqual(expand('.?'), { kind: 'no-match', word: '.?' }); // `..` is not a match
    assert.deepEqual(names('*.ts', { dotglob: true }), ['.x.ts', 'a.ts', 'b.ts']);
    assert.deepEqual(names('.*', { dotglob: true }), ['.hidden', '.x.ts']);
    assert.deepEqual(names('?hidden', { dotglob: true }), ['.hidden']);
    assert.deepEqual(names('dir/*'), ['dir/sub', 'dir/x.ts']);
    assert.deepEqual(names('*/.'), ['dir/.', 'link/.']);
    assert.deepEqual(names('*/..'), ['dir/..', 'link/..']);
    assert.deepEqual(names('./*.ts'), ['./a.ts', './b.ts']);
    assert.deepEqual(names('dir/../*.ts'), ['dir/../a.ts', 'dir/../b.ts']);
  });

  it('walks components: literal parts must exist, symlinks are followed, / keeps directories', () => {
    assert.deepEqual(names('*/x.ts'), ['dir/x.ts', 'link/x.ts']);
    assert.deepEqual(names('*/sub/*.ts'), ['dir/sub/z.ts', 'link/sub/z.ts']);
    assert.deepEqual(expand('*/nope').kind, 'no-match');
    assert.deepEqual(names('*/'), ['dir/', 'link/']);
    assert.deepEqual(names('d*'), ['dangling', 'dir']); // a dangling symlink is still a name
    assert.deepEqual(names('d*/'), ['dir/']);
    assert.deepEqual(names(`${root}/*.ts`).length, 2);
    assert.deepEqual(names([...quoted(`${root}/`), ...w('*.ts')]), [`${root}/a.ts`, `${root}/b.ts`]);
    // Slashes of the literal prefix are kept, those after a pattern component collapse.
    assert.deepEqual(names('dir//*.ts'), ['dir//x.ts']);
    assert.deepEqual(names('d*r//x.ts'), ['dir/x.ts']);
    assert.deepEqual(names('d*r//sub///*'), ['dir/sub/z.ts']);
  });

  it('matches bracket expressions like bash', () => {
    assert.deepEqual(names("[!-\\$\\']*"), [
      '*',
      'B.js',
      '[a]',
      'a\nb',
      'a.ts',
      'a?b',
      'b.ts',
      'dangling',
      'dir',
      'file',
      'link',
      'with space',
    ]);
    assert.deepEqual(names('[^a-z]*'), names('[!a-z]*'));
    assert.deepEqual(names('[]a[]*'), ['[a]', 'a\nb', 'a.ts', 'a?b']);
    assert.deepEqual(names('[[:upper:]]*'), ['B.js']);
    assert.deepEqual(names('[[:punct:]]*'), ['$(x)', "'", '*', '--exec=x', '-delete', '-rf', '[a]']);
    assert.deepEqual(names('[a-b].ts'), ['a.ts', 'b.ts']);
    assert.deepEqual(expand('[z-a]*'), { kind: 'no-match', word: '[z-a]*' });
    assert.deepEqual(names('[\\]x-]*'), ['--exec=x', '-delete', '-rf']);
    assert.deepEqual(expand("['!']*"), { kind: 'no-match', word: '[!]*' });
    assert.deepEqual(names('[[.-.]]*'), ['--exec=x', '-delete', '-rf']);
    assert.deepEqual(names('[[=a=]]*'), ['[a]', 'a\nb', 'a.ts', 'a?b']); // bash 5.2 quirk: `[a]` too
    assert.deepEqual(expand('[[:nope:]]*').kind, 'no-match');
    // An unterminated `[` is an ordinary character.
    assert.deepEqual(names('[a*'), ['[a]']);
    assert.deepEqual(names('[ab'), ['[ab']); // not even a pattern
  });

  it('folds case with nocaseglob', () => {
    assert.deepEqual(names('b*', { nocaseglob: true }), ['B.js', 'b.ts']);
    assert.deepEqual(names('[A-B].ts', { nocaseglob: true }), ['a.ts', 'b.ts']);
  });

  it('knows extglob only when it is on', () => {
    const o = { extglob: true };
    assert.deepEqual(names('@(a|b).ts', o), ['a.ts', 'b.ts']);
    assert.deepEqual(names('!(*.ts|*.js|-*|*a*)', o), ['$(x)', "'", '*', 'dir', 'file', 'link']);
    assert.deepEqual(names('+([ab]).ts', o), ['a.ts', 'b.ts']);
    assert.deepEqual(expand('*(x).ts', o), { kind: 'no-match', word: '*(x).ts' });
    assert.deepEqual(names('?(a).ts', o), ['a.ts']);
    assert.deepEqual(names('.!(hidden)', o), ['.x.ts']);
    // Without extglob `@(a)` (only reachable through an expansion) is a pattern with a literal `(`.
    assert.deepEqual(expandGlob(w('@(a)'), root), { kind: 'no-match', word: '@(a)' });
  });

  it('recurses with globstar, not into symlinked directories', () => {
    const o = { globstar: true };
    assert.deepEqual(names('**/*.ts', o), ['a.ts', 'b.ts', 'dir/sub/z.ts', 'dir/x.ts']);
    assert.deepEqual(names('**/', o), ['dir/', 'dir/sub/', 'link/']);
    assert.deepEqual(names('dir/**', o), ['dir/', 'dir/sub', 'dir/sub/z.ts', 'dir/x.ts']);
    assert.deepEqual(names('**/**/z.ts', o), ['dir/sub/z.ts']);
    assert.ok(names('**', o).includes('dir/sub/z.ts'));
    assert.deepEqual(names('**/*.ts'), ['dir/x.ts', 'link/x.ts']); // without globstar, ** is *
  });

  it('declines what it cannot expand faithfully', () => {
    const tree = tempDir('navi-glob-bad-');
    const readdirSync = fsModule.readdirSync;
    try {
      fs.writeFileSync(Buffer.concat([Buffer.from(`${tree}/f`), Buffer.from([0xff])]), '');
      fs.writeFileSync(path.join(tree, 'g'), '');
      assert.equal(expandGlob(w('f*'), tree).kind, 'unknown');
      assert.deepEqual(expandGlob(w('g*'), tree), { kind: 'names', names: ['g'] });
      const limit = (l: object) => expandGlob(w('*'), root, {}, l) as { kind: string; reason: string };
      assert.match(limit({ maxMatches: 3 }).reason, /more than 3 matches/);
      assert.match(limit({ maxEntriesRead: 3 }).reason, /more than 3 directory entries/);
      assert.equal(expandGlob([{ c: '\\', q: false }, ...w('a*')], root).kind, 'unknown');
      // Exponential extglob backtracking (bash's too) stops at a step budget, quickly.
      fs.writeFileSync(path.join(tree, 'a'.repeat(60)), '');
      const t0 = Date.now();
      const costly = expandGlob(w('+(+(a|aa|aaa)|b)'.repeat(3) + 'x'), tree, { extglob: true });
      assert.match((costly as { reason: string }).reason, /too costly/);
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(expandGlob(w('*'), 'relative').kind, 'unknown');
      const locked = path.join(tree, 'locked');
      fs.mkdirSync(locked, { mode: 0o000 });
      // Root reads any directory, so there the kernel's refusal is simulated.
      const refuse = (p: unknown, ...rest: unknown[]) => {
        if (String(p).startsWith(locked)) throw Object.assign(new Error('denied'), { code: 'EACCES' });
        return (readdirSync as (...a: unknown[]) => unknown)(p, ...rest);
      };
      if (process.getuid?.() === 0) fsModule.readdirSync = refuse as typeof fs.readdirSync;
      const r = expandGlob(w('locked/*'), tree);
      assert.equal(r.kind, 'unknown');
      assert.match((r as { reason: string }).reason, /EACCES/);
    } finally {
      fsModule.readdirSync = readdirSync;
      if (fs.existsSync(path.join(tree, 'locked'))) fs.chmodSync(path.join(tree, 'locked'), 0o700);
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  describe('agrees with bash on random trees and patterns', () => {
    // Fixed, so a failure reproduces; NAVI_GLOB_SEED / NAVI_GLOB_RUNS explore further. Each run
    // checks CASES patterns against one tree, so one bash process serves them all.
    const SEED = Number(process.env.NAVI_GLOB_SEED ?? 20240602);
    const RUNS = Number(process.env.NAVI_GLOB_RUNS ?? 100);
    const CASES = 4;

    const NAME_CHARS = ['a', 'b', 'A', '-', ' ', '\n', '*', '?', '[', ']', '.', "'", '"', '\\', '!', '^'];
    const nameArb = fc
      .string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 3 })
      .filter((n) => n !== '.' && n !== '..');
    type Node = { name: string; kind: 'file' | 'link' | 'dir'; target: number; children: Node[] };
    const leafArb = fc.record({
      name: nameArb,
      kind: fc.constantFrom<'file' | 'link'>('file', 'file', 'link'),
      target: fc.nat(20),
      children: fc.constant([] as Node[]),
    });
    const dirOf = (child: fc.Arbitrary<Node>, max: number) =>
      fc.record({
        name: nameArb,
        kind: fc.constant<'dir'>('dir'),
        target: fc.constant(0),
        children: fc.uniqueArray(child, { selector: (n) => n.name, maxLength: max }),
      });
    const treeArb = fc.uniqueArray(fc.oneof(leafArb, dirOf(fc.oneof(leafArb, dirOf(leafArb, 3)), 4)), {
      selector: (n) => n.name,
      minLength: 1,
      maxLength: 8,
    });

    // Pattern pieces. `syn` marks extglob syntax, which stays unquoted when extglob is on.
    type PChar = QChar & { syn?: boolean };
    const PCHARS = ['a', 'b', 'A', '-', ' ', '\n', '.', "'", '"', '\\', '!', '^', '*', '?', '[', ']', '/'];
    const unquotedMostly = fc.constantFrom(false, false, true);
    const charArb = fc.record({ c: fc.constantFrom(...PCHARS.filter((c) => c !== '/')), q: fc.boolean() });
    const plain = (s: string): PChar[] => [...s].map((c) => ({ c, q: false }));
    const bracketItem = fc.oneof(
      charArb.map((c) => [c]),
      fc.tuple(charArb, charArb).map(([a, b]) => [a, { c: '-', q: false }, b]),
      fc.constantFrom('alpha', 'upper', 'lower', 'punct', 'space', 'nope').map((n) => plain(`[:${n}:]`)),
      fc.constantFrom('[=a=]', '[.a.]', '[.-.]').map(plain),
    );
    const bracketArb = fc
      .tuple(fc.constantFrom('', '!', '^', ']', '!]'), fc.array(bracketItem, { maxLength: 3 }), fc.boolean())
      .map(([head, items, close]) => [...plain(`[${head}`), ...items.flat(), ...(close ? plain(']') : [])]);
    const simpleTok: fc.Arbitrary<PChar[]> = fc.oneof(
      { weight: 4, arbitrary: charArb.map((c) => [c]) },
      { weight: 3, arbitrary: unquotedMostly.map((q) => [{ c: '*', q }]) },
      { weight: 2, arbitrary: unquotedMostly.map((q) => [{ c: '?', q }]) },
      { weight: 2, arbitrary: bracketArb },
    );
    const groupArb = fc
      .tuple(
        fc.constantFrom('?', '*', '+', '@', '!'),
        fc.array(fc.array(simpleTok, { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      )
      .map(([op, alts]) => {
        const syn = (c: string): PChar => ({ c, q: false, syn: true });
        const body = alts.flatMap((alt, i) => [...(i > 0 ? [syn('|')] : []), ...alt.flat()]);
        return [{ c: op, q: false }, syn('('), ...body, syn(')')];
      });
    const componentArb = fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom('.', '..', '**').map(plain) },
      {
        weight: 8,
        arbitrary: fc
          .array(fc.oneof({ weight: 5, arbitrary: simpleTok }, { weight: 1, arbitrary: groupArb }), {
            minLength: 1,
            maxLength: 4,
          })
          .map((toks) => toks.flat()),
      },
    );
    const patternArb = fc.record({
      absolute: fc.constantFrom(false, false, false, true),
      components: fc
        .array(componentArb, { minLength: 1, maxLength: 3 })
        .filter((cs) => cs.filter((c) => c.length === 2 && c[0]!.c === '.' && c[1]!.c === '.').length <= 2),
      seps: fc.array(fc.constantFrom('/', '/', '//'), { minLength: 3, maxLength: 3 }),
      trailing: fc.constantFrom('', '', '', '/'),
    });
    // A pattern made from a path in the tree, so that many cases match something: each
    // character stays (quoted or not) or becomes `?`, `*`, a bracket expression or an extglob
    // group holding it (`!(zz)` holds anything but zz).
    const paths = (nodes: Node[]): string[][] =>
      nodes.flatMap((n) => [[n.name], ...paths(n.children).map((p) => [n.name, ...p])]);
    const fromChar = (c: string) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.boolean().map((q): PChar[] => [{ c, q }]) },
        { weight: 1, arbitrary: fc.constant(plain('?')) },
        { weight: 1, arbitrary: fc.constant(plain('*')) },
        { weight: 1, arbitrary: fc.boolean().map((q): PChar[] => [...plain('['), { c, q }, ...plain('a]')]) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('@', '+', '*', '?', '!').map((op): PChar[] => {
            const syn = (s: string): PChar => ({ c: s, q: false, syn: true });
            const alt = op === '!' ? plain('zz') : [{ c, q: false }, syn('|'), ...plain('zz')];
            return [{ c: op, q: false }, syn('('), ...alt, syn(')')];
          }),
        },
      );
    const derivedArb = (tree: Node[]) =>
      fc
        .constantFrom(...paths(tree))
        .chain((comps) =>
          fc
            .tuple(...comps.map((name) => fc.tuple(...[...name].map(fromChar)).map((parts) => parts.flat())))
            .map((components) => ({ absolute: false, components, seps: ['/', '/', '/'], trailing: '' })),
        );
    const rarely = fc.constantFrom(false, false, false, true);
    const optionsArb = fc.record({
      dotglob: fc.boolean(),
      nullglob: rarely,
      failglob: rarely,
      extglob: fc.boolean(),
      globstar: fc.boolean(),
      nocaseglob: fc.boolean(),
    });

    function build(dir: string, nodes: Node[], rootNames: string[], rootDir: string) {
      for (const n of nodes) {
        const p = path.join(dir, n.name);
        if (n.kind === 'file') fs.writeFileSync(p, '');
        else if (n.kind === 'dir') {
          fs.mkdirSync(p);
          build(p, n.children, rootNames, rootDir);
        } else {
          const targets = [...rootNames, 'nowhere'];
          fs.symlinkSync(path.join(rootDir, targets[n.target % targets.length]!), p);
        }
      }
    }

    const casesArb = (tree: Node[]) =>
      fc.array(fc.record({ pattern: fc.oneof(patternArb, derivedArb(tree)), options: optionsArb }), {
        minLength: CASES,
        maxLength: CASES,
      });

    it(`for ${RUNS} trees × ${CASES} patterns (seed ${SEED})`, () => {
      let compared = 0;
      fc.assert(
        fc.property(
          treeArb.chain((tree) => fc.tuple(fc.constant(tree), casesArb(tree))),
          ([tree, specs]) => {
            const base = tempDir('navi-glob-prop-');
            try {
              // `..` can climb two levels from the root; keep that inside this run's directory.
              const rootDir = path.join(base, 'x', 'w');
              fs.mkdirSync(rootDir, { recursive: true });
              fs.mkdirSync(path.join(base, 'x', 'side'));
              fs.writeFileSync(path.join(base, 'x', 'side', 'a'), '');
              build(
                rootDir,
                tree,
                tree.map((n) => n.name),
                rootDir,
              );

              const cases = specs.map(({ pattern, options }): Case => {
                const word: PChar[] = pattern.absolute ? quoted(`${rootDir}/`) : [];
                pattern.components.forEach((comp, i) => {
                  if (i > 0) word.push(...plain(pattern.seps[i - 1]!));
                  word.push(...comp);
                });
                word.push(...plain(pattern.trailing));
                const chars = word.map(({ c, q, syn }) => ({
                  c,
                  q: q || (SHELL_SPECIAL.has(c) && !(syn && options.extglob)),
                }));
                return { word: chars, options };
              });
              const fromBash = bash(cases, rootDir);
              cases.forEach(({ word, options }, i) => {
                const r = expandGlob(word, rootDir, options);
                if (r.kind !== 'unknown') compared++;
                const diff = disagreement(r, fromBash[i]!);
                assert.equal(diff, null, `${diff}\ntree: ${JSON.stringify(tree)}`);
              });
            } finally {
              fs.rmSync(base, { recursive: true, force: true });
            }
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
      assert.ok(compared > RUNS * CASES * 0.8, `only ${compared} of ${RUNS * CASES} cases were compared`);
    });
  });
});
