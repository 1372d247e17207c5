/**
 * Shell builtins, read-only inspection tools and the tools that write files. Read-only means:
 * with the options a judge does not flag, the tool only reads files and prints. Writers
 * path-check every file they write (outside the workspace or into protected paths is refused).
 */

import { statSafe } from '../paths';
import { hasOption, operands, options, optionValues, parseArgs, type ToolCall, type ToolSpec } from './types';

const readOnly: ToolSpec = { readOnly: true };
const inert: ToolSpec = { readOnly: true, inertArgs: true };

/** Builtins and tools whose arguments are only printed, compared or used as names. */
const INERT = [
  'echo',
  'printf',
  'true',
  'false',
  ':',
  'test',
  '[',
  'sleep',
  'seq',
  'expr',
  'yes',
  'basename',
  'dirname',
  'pwd',
  'cd',
  'pushd',
  'popd',
  'dirs',
  'type',
  'which',
  'whereis',
  'command',
  'builtin',
  'set',
  'shopt',
  'shift',
  'read',
  'mapfile',
  'readarray',
  'wait',
  'jobs',
  'exit',
  'return',
  'break',
  'continue',
  'getopts',
  'times',
  'caller',
  'let',
  'ulimit',
  'umask',
  'local',
  'declare',
  'typeset',
  'export',
  'readonly',
  'unset',
  'history',
  'exec',
  'whoami',
  'id',
  'groups',
  'uname',
  'arch',
  'nproc',
  'uptime',
  'tty',
  'locale',
  'getconf',
  'cal',
  'factor',
  'numfmt',
  'printenv',
  'env',
  'xargs',
  'lsb_release',
  'sw_vers',
  'free',
  'vmstat',
  'w',
  'who',
  'last',
  'ps',
  'pgrep',
  'clear',
  'tput',
  'realpath',
  'readlink',
];

/** Tools that read the files they are given and print. */
const READERS = [
  'cat',
  'tac',
  'nl',
  'head',
  'tail',
  'less',
  'more',
  'wc',
  'cut',
  'tr',
  'paste',
  'join',
  'fold',
  'fmt',
  'column',
  'expand',
  'unexpand',
  'rev',
  'comm',
  'diff',
  'cmp',
  'diff3',
  'ls',
  'dir',
  'vdir',
  'stat',
  'file',
  'du',
  'df',
  'md5sum',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'shasum',
  'b2sum',
  'cksum',
  'sum',
  'base64',
  'base32',
  'basenc',
  'od',
  'hexdump',
  'strings',
  'jq',
  'gojq',
  'nm',
  'objdump',
  'readelf',
  'size',
  'lsof',
  'man',
  'info',
  'whatis',
  'apropos',
  'zcat',
  'bzcat',
  'xzcat',
  'zstdcat',
  'lz4cat',
  'zless',
  'zmore',
  'zdiff',
  'bat',
  'batcat',
  'glow',
  'iconv',
  'dos2unix',
  'shellcheck',
  'tokei',
  'cloc',
  'scc',
  'identify',
  'exiftool',
  'pdftotext',
  'lscpu',
  'lsblk',
];

/** Grep-like tools: the first operand is a pattern unless -e/-f give one. */
function patternFirst(
  t: ToolCall,
  patternOptions: string[],
  withValue: string[],
): ReturnType<typeof parseArgs> {
  const args = parseArgs(t.values, { withValue: [...patternOptions, ...withValue] });
  const ops = operands(args);
  if (!hasOption(args, ...patternOptions) && ops[0]) t.notPaths(ops[0].index);
  for (const a of args)
    if (a.kind === 'option' && patternOptions.includes(a.name) && a.valueIndex !== null)
      t.notPaths(a.valueIndex);
  return args;
}

const grep: ToolSpec = {
  readOnly: true,
  judge(t) {
    const args = patternFirst(
      t,
      ['-e', '--regexp'],
      [
        '-f',
        '--file',
        '-m',
        '--max-count',
        '-A',
        '-B',
        '-C',
        '-d',
        '-D',
        '--include',
        '--exclude',
        '--exclude-dir',
        '--label',
      ],
    );
    for (const a of options(args))
      if (a.valueIndex !== null && !['-f', '--file'].includes(a.name)) t.notPaths(a.valueIndex);
  },
};

const RG_VALUE = [
  '-A',
  '-B',
  '-C',
  '-f',
  '--file',
  '-g',
  '--glob',
  '--iglob',
  '-j',
  '--threads',
  '-m',
  '--max-count',
  '-M',
  '--max-columns',
  '-t',
  '--type',
  '-T',
  '--type-not',
  '-E',
  '--encoding',
  '-r',
  '--replace',
  '-d',
  '--max-depth',
  '--pre',
  '--pre-glob',
  '--hostname-bin',
  '--ignore-file',
  '--type-add',
  '--type-clear',
  '--sort',
  '--sortr',
  '--colors',
  '--context-separator',
  '--field-context-separator',
  '--field-match-separator',
  '--path-separator',
  '--max-filesize',
  '--dfa-size-limit',
  '--regex-size-limit',
  '--engine',
];

/** ripgrep: --pre and --hostname-bin run programs; -z runs decompressors (Codex's rg rules). */
const rg: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const args = patternFirst(t, ['-e', '--regexp'], RG_VALUE);
    for (const a of options(args)) {
      if (a.name === '--pre') t.ask('exec-option', 'rg --pre runs a program on every file it searches');
      else if (a.name === '--hostname-bin') t.ask('exec-option', 'rg --hostname-bin runs a program');
      else if (a.name === '-z' || a.name === '--search-zip')
        t.ask('exec-option', 'rg -z runs decompression programs on compressed files');
      if (a.valueIndex !== null && !['-f', '--file', '--ignore-file'].includes(a.name))
        t.notPaths(a.valueIndex);
    }
  },
};

/** ag and ack can start a pager; ack's --output is Perl code. */
const agAck: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const args = patternFirst(
      t,
      [],
      ['--pager', '--output', '-G', '--ignore-dir', '--ignore', '-A', '-B', '-C', '-m'],
    );
    for (const a of options(args)) {
      if (a.name === '--pager') t.ask('exec-option', `${t.name} --pager runs a program`);
      if (a.name === '--output' && t.name === 'ack') t.ask('exec-option', 'ack --output evaluates Perl code');
      if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    }
  },
};

const FIND_EXEC = ['-exec', '-execdir', '-ok', '-okdir'];
const FIND_WRITE = ['-fprint', '-fprint0', '-fls'];
const FIND_READ = ['-newer', '-anewer', '-cnewer', '-samefile', '-files0-from'];
const FIND_TESTS =
  /^-(i?name|i?path|i?wholename|i?regex|i?lname|type|xtype|size|newer.*|[amc](time|min)|empty|perm|user|group|links|inum|uid|gid|used|samefile|maxdepth)$/;

/** find: -exec/-execdir/-ok run programs, -delete deletes, -fprint* write files (Codex's find rules). */
const find: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const v = t.values;
    let i = 0;
    const starts: number[] = [];
    // Leading -H/-L/-P/-D/-O options, then start paths until the expression begins.
    while (i < v.length && v[i] !== null && /^-(H|L|P|D|O\d*)$/.test(v[i]!)) i += v[i] === '-D' ? 2 : 1;
    while (i < v.length && (v[i] === null || !/^[-(!),]/.test(v[i]!))) starts.push(i++);
    for (let k = i; k < v.length; k++) t.notPaths(k);
    if (starts.length === 0 && i === v.length) return;
    for (; i < v.length; i++) {
      const tok = v[i];
      if (tok === null || tok === undefined) continue;
      if (FIND_EXEC.includes(tok)) {
        const words = [];
        let j = i + 1;
        for (; j < v.length; j++) {
          if (v[j] === ';' || v[j] === '+' || (v[j] === '{}' && v[j + 1] === '+')) break;
          words.push(t.args[j]!);
        }
        t.ask('exec-option', `find ${tok} runs another program for every match`);
        if (words.length > 0) t.run(words, `find ${tok}`);
        i = j;
      } else if (tok === '-delete') {
        t.ask('destructive', 'find -delete deletes every match');
        // Without a test (-name, -path, -type…) every file under the start paths goes.
        const filtered = v.some((x) => x !== null && FIND_TESTS.test(x));
        for (const s of starts.length ? starts : [-1])
          t.write(s < 0 ? '.' : t.args[s]!, filtered ? {} : { recursive: true, deletes: true });
      } else if (FIND_WRITE.includes(tok) || tok === '-fprintf') {
        const target = t.args[i + 1];
        if (target) t.write(target);
        i += tok === '-fprintf' ? 2 : 1;
      } else if (FIND_READ.includes(tok) || /^-newer[amBct][amBct]$/.test(tok)) {
        const target = t.args[i + 1];
        if (target) t.read(target);
        i++;
      }
    }
  },
};

/** fd: -x/--exec and -X/--exec-batch run a program for matches. */
const fd: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const v = t.values;
    const pattern = v.findIndex((x) => x !== null && !x.startsWith('-'));
    if (pattern >= 0) t.notPaths(pattern);
    const at = v.findIndex((x) => x !== null && ['-x', '--exec', '-X', '--exec-batch'].includes(x));
    if (at >= 0) {
      t.ask('exec-option', `fd ${v[at]} runs another program for matches`);
      const words = t.args.slice(at + 1).filter((_, k) => v[at + 1 + k] !== ';');
      if (words.length > 0) t.run(words, `fd ${v[at]}`);
    }
  },
};

/**
 * A sed script: which commands it contains. `e` (and the `e` flag of `s`) runs commands, `w`/`W`
 * (and `s///w`) write files, `r`/`R` read files. Anything NAVI cannot read is `unsure`.
 */
export function analyzeSed(script: string): {
  exec: boolean;
  writes: string[];
  reads: string[];
  unsure: boolean;
} {
  const res = { exec: false, writes: [] as string[], reads: [] as string[], unsure: false };
  let i = 0;
  const n = script.length;
  const restOfLine = () => {
    let end = script.indexOf('\n', i);
    if (end < 0) end = n;
    const text = script.slice(i, end).trim();
    i = end;
    return text;
  };
  const skipDelimited = (delim: string): boolean => {
    while (i < n) {
      const c = script[i]!;
      if (c === '\\') i += 2;
      else if (c === delim) {
        i++;
        return true;
      } else if (c === '\n' && delim !== '\n') return false;
      else i++;
    }
    return false;
  };
  const address = (): boolean => {
    const c = script[i];
    if (c === undefined) return false;
    if (/\d/.test(c)) {
      while (i < n && /[\d~]/.test(script[i]!)) i++;
      return true;
    }
    if (c === '$') {
      i++;
      return true;
    }
    if (c === '/' || c === '\\') {
      const delim = c === '\\' ? script[i + 1] : '/';
      i += c === '\\' ? 2 : 1;
      if (delim === undefined || !skipDelimited(delim)) return false;
      while (i < n && /[IM]/.test(script[i]!)) i++;
      return true;
    }
    return false;
  };
  const ws = () => {
    while (i < n && /[ \t]/.test(script[i]!)) i++;
  };
  while (i < n) {
    while (i < n && /[\s;}]/.test(script[i]!)) i++;
    if (i >= n) break;
    if (script[i] === '#') {
      restOfLine();
      continue;
    }
    if (address()) {
      ws();
      if (script[i] === ',') {
        i++;
        ws();
        if (script[i] === '+' || script[i] === '~') {
          i++;
          while (i < n && /\d/.test(script[i]!)) i++;
        } else if (!address()) {
          res.unsure = true;
          return res;
        }
      }
    }
    ws();
    while (script[i] === '!') {
      i++;
      ws();
    }
    const cmd = script[i++];
    if (cmd === undefined) break;
    if ('{=dDgGhHnNpPxzF'.includes(cmd)) continue;
    if ('qQlL'.includes(cmd)) {
      ws();
      while (i < n && /\d/.test(script[i]!)) i++;
      continue;
    }
    if (':btTv'.includes(cmd)) {
      while (i < n && !/[;\n]/.test(script[i]!)) i++;
      continue;
    }
    if ('aic'.includes(cmd)) {
      // Text to the end of the line, with backslash-newline continuations.
      while (i < n) {
        if (script[i] === '\\' && script[i + 1] === '\n') i += 2;
        else if (script[i] === '\n') break;
        else i++;
      }
      continue;
    }
    if (cmd === 'r' || cmd === 'R') {
      res.reads.push(restOfLine());
      continue;
    }
    if (cmd === 'w' || cmd === 'W') {
      res.writes.push(restOfLine());
      continue;
    }
    if (cmd === 'e') {
      res.exec = true;
      restOfLine();
      continue;
    }
    if (cmd === 's' || cmd === 'y') {
      const delim = script[i++];
      if (delim === undefined || delim === '\n' || delim === '\\') {
        res.unsure = true;
        return res;
      }
      if (!skipDelimited(delim) || !skipDelimited(delim)) {
        res.unsure = true;
        return res;
      }
      if (cmd === 'y') continue;
      while (i < n && /[gpiImMe\d]/.test(script[i]!)) {
        if (script[i] === 'e') res.exec = true;
        i++;
      }
      if (script[i] === 'w') {
        i++;
        res.writes.push(restOfLine());
      }
      continue;
    }
    res.unsure = true;
    return res;
  }
  return res;
}

/** sed: -i edits files in place; scripts are read for e/w/r; -f script files cannot be checked. */
const sed: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    let inPlace = false;
    const scripts: { text: string | null; index: number }[] = [];
    let scriptFile = false;
    let sandboxed = false;
    const fileOperands: number[] = [];
    const v = t.values;
    let onlyOperands = false;
    for (let i = 0; i < v.length; i++) {
      const a = v[i];
      if (a === null || a === undefined || onlyOperands || a === '-' || !a.startsWith('-')) {
        fileOperands.push(i);
        continue;
      }
      if (a === '--') {
        onlyOperands = true;
        continue;
      }
      if (a.startsWith('--')) {
        const [name, value] = a.includes('=')
          ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
          : [a, null];
        if (name === '--in-place') inPlace = true;
        else if (name === '--sandbox') sandboxed = true;
        else if (name === '--expression') {
          if (value !== null) scripts.push({ text: value, index: i });
          else scripts.push({ text: v[++i] ?? null, index: i });
        } else if (name === '--file') {
          scriptFile = true;
          if (value === null) t.read(t.args[++i]!);
        } else if (name === '--line-length' && value === null) i++;
        continue;
      }
      const letters = a.slice(1);
      for (let k = 0; k < letters.length; k++) {
        const l = letters[k];
        if (l === 'i') {
          inPlace = true;
          break;
        }
        if (l === 'e' || l === 'f' || l === 'l') {
          const attached = letters.slice(k + 1);
          const value = attached || v[++i];
          if (l === 'e') scripts.push({ text: value ?? null, index: attached ? i : i });
          if (l === 'f') {
            scriptFile = true;
            if (!attached && t.args[i]) t.read(t.args[i]!);
          }
          break;
        }
      }
    }
    if (scripts.length === 0 && !scriptFile && fileOperands.length > 0) {
      const first = fileOperands.shift()!;
      scripts.push({ text: v[first] ?? null, index: first });
    }
    for (const s of scripts) t.notPaths(s.index);
    if (scriptFile)
      t.ask('exec-option', 'sed runs a script file NAVI cannot check (it may run commands or write files)');
    if (!sandboxed) {
      for (const s of scripts) {
        if (s.text === null) continue;
        const found = analyzeSed(s.text);
        if (found.exec) t.ask('exec-option', 'the sed script runs a shell command (e)');
        for (const w of found.writes) t.write(w);
        for (const r of found.reads) t.read(r);
        if (found.unsure)
          t.ask('exec-option', 'NAVI cannot read this sed script, so it may run commands or write files');
      }
    }
    if (inPlace) for (const i of fileOperands) t.write(t.args[i]!);
  },
};

/** An awk program: system(), pipes to or from commands, and output redirection. */
export function analyzeAwk(program: string): { exec: boolean; writes: boolean } {
  // Remove string literals so `print "a|b"` is not a pipe, keeping `"cmd" | getline` visible.
  const code = program.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const exec =
    /\bsystem\s*\(/.test(code) ||
    /(^|[^|])\|(?!\|)/.test(code.replace(/\|\|/g, '')) ||
    /@load\b|@include\b/.test(code) ||
    /\|&/.test(code);
  const writes = /\b(print|printf)\b[^;{}\n]*?>/.test(code);
  return { exec, writes };
}

const awk: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: [
        '-F',
        '-v',
        '-f',
        '-e',
        '--source',
        '-i',
        '--include',
        '-l',
        '--load',
        '-E',
        '--exec',
        '--assign',
        '--field-separator',
        '--file',
      ],
      stopAtOperand: true,
    });
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    const files = optionValues(args, '-f', '--file', '-E', '--exec');
    for (const f of files) if (f.valueIndex !== null) t.read(t.optionWord(f));
    if (files.length > 0)
      t.ask('exec-option', 'awk runs a program file NAVI cannot check (it may run commands)');
    if (hasOption(args, '-i', '--include', '-l', '--load'))
      t.ask('exec-option', 'awk loads an extension or include file');
    const inline = optionValues(args, '-e', '--source').map((a) => a.value);
    const ops = operands(args);
    if (files.length === 0 && inline.length === 0 && ops[0]) {
      inline.push(ops[0].value);
      t.notPaths(ops[0].index);
    }
    for (const op of ops) if (op.value !== null && /^[A-Za-z_]\w*=/.test(op.value)) t.notPaths(op.index);
    for (const program of inline) {
      if (program === null) continue;
      const found = analyzeAwk(program);
      if (found.exec) t.ask('exec-option', 'the awk program runs commands (system() or a pipe)');
      if (found.writes) t.ask('exec-option', 'the awk program writes to files NAVI cannot check');
    }
  },
};

const COMPRESSORS = new Set([
  'gzip',
  'bzip2',
  'xz',
  'lzma',
  'zstd',
  'lz4',
  'lzip',
  'lzop',
  'pigz',
  'pbzip2',
  'pixz',
  'brotli',
]);

/** tar: -x writes what the archive holds; exec options (checkpoint-action, to-command…) are refused. */
const tar: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const v = [...t.values];
    // Old-style first argument: `tar xzf a.tgz` is `tar -x -z -f a.tgz`.
    if (v[0] && !v[0].startsWith('-') && /^[A-Za-z]+$/.test(v[0])) v[0] = `-${v[0]}`;
    const args = parseArgs(v, {
      withValue: [
        '-f',
        '--file',
        '-C',
        '--directory',
        '-I',
        '--use-compress-program',
        '-T',
        '--files-from',
        '-X',
        '--exclude-from',
        '-F',
        '--info-script',
        '--new-volume-script',
        '-b',
        '-K',
        '-L',
        '-N',
        '-V',
        '-g',
        '--listed-incremental',
        '--to-command',
        '--rsh-command',
        '--rmt-command',
        '--checkpoint-action',
        '--owner',
        '--group',
        '--mode',
        '--transform',
        '--xform',
        '--exclude',
      ],
    });
    let mode: 'create' | 'extract' | 'list' | 'other' = 'other';
    for (const a of options(args)) {
      const n = a.name;
      if (
        ['-c', '--create', '-r', '--append', '-u', '--update', '-A', '--catenate', '--concatenate'].includes(
          n,
        )
      )
        mode = 'create';
      else if (['-x', '--extract', '--get'].includes(n)) mode = 'extract';
      else if (['-t', '--list', '-d', '--diff', '--compare'].includes(n) && mode === 'other') mode = 'list';
      else if (n === '--delete') mode = 'create';
      if (a.valueIndex !== null) t.notPaths(a.valueIndex);
      if (
        [
          '--to-command',
          '--rsh-command',
          '--rmt-command',
          '-F',
          '--info-script',
          '--new-volume-script',
        ].includes(n)
      )
        t.deny('exec-option', `tar ${n} runs a program`);
      if (n === '--checkpoint-action' && a.value !== null && /^(exec|shell)=?/.test(a.value))
        t.deny('exec-option', 'tar --checkpoint-action=exec runs a program');
      if (n === '-I' || n === '--use-compress-program') {
        const prog = (a.value ?? '').trim().split(/\s+/)[0] ?? '';
        if (!COMPRESSORS.has(prog))
          t.ask('exec-option', `tar ${n} runs ${prog || 'a program'} as its compressor`);
      }
      if (n === '-T' || n === '--files-from' || n === '-X' || n === '--exclude-from')
        if (a.valueIndex !== null) t.read(t.optionWord(a));
    }
    const archive = optionValues(args, '-f', '--file')[0];
    const dirs = optionValues(args, '-C', '--directory');
    if (mode === 'create') {
      if (archive && archive.value !== '-' && archive.valueIndex !== null) t.write(t.optionWord(archive));
    } else if (mode === 'extract') {
      if (archive?.valueIndex != null) t.read(t.optionWord(archive));
      for (const d of dirs) if (d.valueIndex !== null) t.write(t.optionWord(d));
      if (dirs.length === 0) t.write('.');
      t.ask(
        'dynamic-argument',
        'extracting an archive writes the files inside it, which NAVI cannot check in advance',
      );
    } else if (archive?.valueIndex != null) t.read(t.optionWord(archive));
    if (mode === 'list') return;
    if (mode === 'other') t.ask('unknown-command', 'NAVI cannot tell what this tar command does');
  },
};

/** rm, unlink, shred: deleting is destructive; deleting outside the workspace or protected paths is refused. */
const remover = (recursiveAlways: boolean): ToolSpec => ({
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: ['-n', '--iterations', '-s', '--size', '--random-source'],
    });
    const recursive = recursiveAlways || hasOption(args, '-r', '-R', '--recursive');
    t.ask('destructive', `${t.name} deletes files`);
    for (const op of operands(args)) t.write(t.args[op.index]!, { recursive, deletes: true });
  },
});

/** Tools whose operands are all written: tee, touch, mkdir… */
const writer = (withValue: string[], reads: string[] = []): ToolSpec => ({
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: [...withValue, ...reads] });
    for (const a of options(args)) {
      if (a.valueIndex === null) continue;
      if (reads.includes(a.name)) t.read(t.optionWord(a));
      else t.notPaths(a.valueIndex);
    }
    t.changes();
    for (const op of operands(args)) t.write(t.args[op.index]!);
  },
});

const destructiveWriter = (why: string, withValue: string[], reads: string[]): ToolSpec => ({
  riskyOptions: true,
  judge(t) {
    t.ask('destructive', why);
    writer(withValue, reads).judge!(t);
  },
});

const sevenZip: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const command = t.values[0];
    if (command === 'l' || command === 't' || command === 'i' || command === 'h') return;
    if (command === 'x' || command === 'e') {
      t.write('.');
      t.ask(
        'dynamic-argument',
        'extracting an archive writes the files inside it, which NAVI cannot check in advance',
      );
      return;
    }
    const archive = t.args[1];
    if (archive) t.write(archive);
  },
};

/** Options of cp, mv and install that take a value (knowledge/overwrite.ts reads them too). */
export const COPY_VALUE_OPTIONS: readonly string[] = [
  '-t',
  '--target-directory',
  '-S',
  '--suffix',
  '-m',
  '--mode',
  '-o',
  '--owner',
  '-g',
  '--group',
];

/**
 * Into a folder, `cp x/.envrc app/` (and mv, install -t, ln) writes `app/.envrc`: that name is
 * path-checked too, so a protected or sensitive name cannot arrive under a folder's name.
 * `folder` is the destination as written; `named`: -t or --target-directory says it is a folder.
 */
function writesInto(
  t: ToolCall,
  folder: string | null,
  sources: readonly { value: string | null }[],
  named: boolean,
): void {
  if (folder === null) return;
  const abs = t.resolve(folder);
  if (!named && !folder.endsWith('/') && (abs === null || !statSafe(abs)?.isDirectory())) return;
  for (const source of sources) {
    const name = source.value?.replace(/\/+$/, '').split('/').pop();
    if (name && name !== '.' && name !== '..') t.write(`${folder.replace(/\/+$/, '')}/${name}`);
  }
}

/** cp, mv, install: sources are read (mv also removes them), the destination is written. */
const copier = (moves: boolean): ToolSpec => ({
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: COPY_VALUE_OPTIONS });
    t.changes();
    const target = optionValues(args, '-t', '--target-directory')[0];
    const ops = operands(args);
    let sources = ops;
    if (target?.valueIndex != null) {
      t.write(t.optionWord(target), { recursive: true });
      writesInto(t, target.value, sources, true);
    } else if (ops.length > 0 && !(t.name === 'install' && hasOption(args, '-d', '--directory'))) {
      const dest = ops[ops.length - 1]!;
      t.write(t.args[dest.index]!, { recursive: true });
      sources = ops.slice(0, -1);
      if (!hasOption(args, '-T', '--no-target-directory')) writesInto(t, dest.value, sources, false);
    } else if (t.name === 'install') {
      for (const op of ops) t.write(t.args[op.index]!);
      sources = [];
    }
    for (const op of sources) {
      t.read(t.args[op.index]!);
      if (moves) t.write(t.args[op.index]!, { recursive: true, deletes: true });
    }
    for (const a of options(args)) if (a.valueIndex !== null && a !== target) t.notPaths(a.valueIndex);
  },
});

/** Options of ln that take a value. */
export const LN_VALUE_OPTIONS: readonly string[] = ['-t', '--target-directory', '-S', '--suffix'];

/**
 * ln: the link is written. A hard link to a file outside the workspace would let later edits
 * change that file (realpath cannot see hard links), so it is refused; a symlink out of the
 * workspace needs approval.
 */
const ln: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: LN_VALUE_OPTIONS });
    t.changes();
    const symbolic = hasOption(args, '-s', '--symbolic');
    const dir = optionValues(args, '-t', '--target-directory')[0];
    const ops = operands(args);
    const targets = dir || ops.length === 1 ? ops : ops.slice(0, -1);
    if (dir?.valueIndex != null) t.write(t.optionWord(dir));
    else if (ops.length === 1) t.write('.');
    else if (ops.length > 1) t.write(t.args[ops[ops.length - 1]!.index]!);
    const folder = dir ? dir.value : ops.length === 1 ? '.' : (ops[ops.length - 1]?.value ?? null);
    if (!hasOption(args, '-T', '--no-target-directory'))
      writesInto(t, folder, targets, dir !== undefined || ops.length === 1);
    for (const op of targets) {
      if (op.value === null) continue;
      const abs = t.resolve(op.value);
      if (abs === null || t.inWorkspace(abs)) continue;
      if (symbolic) t.ask('write-sensitive', `ln -s links into the workspace to ${op.value}, outside it`);
      else
        t.deny(
          'write-outside-workspace',
          `a hard link to ${op.value} would let later edits change it outside the workspace`,
        );
    }
    for (const op of targets) t.read(t.args[op.index]!);
  },
};

/** chmod, chown, chgrp: the first operand is the mode/owner (unless --reference). */
const modeChanger = (system: boolean): ToolSpec => ({
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: ['--from'] });
    t.changes();
    if (system) t.ask('system', `${t.name} changes file ownership`);
    const ops = operands(args);
    const reference = hasOption(args, '--reference');
    const recursive = hasOption(args, '-R', '--recursive');
    // chmod -x / chmod -w look like options but are modes.
    const modeOption = options(args).find(
      (a) => t.name === 'chmod' && /^-[rwxXst]+$/.test(t.values[a.index] ?? ''),
    );
    const files = reference || modeOption ? ops : ops.slice(1);
    if (!reference && !modeOption && ops[0]) t.notPaths(ops[0].index);
    for (const op of files) t.write(t.args[op.index]!, { recursive });
  },
});

/** dd: if= is read, of= is written (of=/dev/sda is outside the workspace: refused). */
const dd: ToolSpec = {
  judge(t) {
    t.values.forEach((v, i) => {
      if (v === null) return;
      const word = t.args[i]!;
      if (v.startsWith('if=')) t.read({ ...word, value: v.slice(3) });
      else if (v.startsWith('of=')) t.write({ ...word, value: v.slice(3) });
      else t.notPaths(i);
    });
    if (!t.values.some((v) => v?.startsWith('of='))) return;
    t.changes();
  },
};

/** Options of sort that take a value. */
export const SORT_VALUE_OPTIONS: readonly string[] = [
  '-o',
  '--output',
  '-T',
  '--temporary-directory',
  '-k',
  '--key',
  '-t',
  '--field-separator',
  '-S',
  '--buffer-size',
  '--compress-program',
  '--files0-from',
  '--batch-size',
  '--parallel',
  '--random-source',
];

/** sort: -o writes, --compress-program runs a program. */
const sort: ToolSpec = {
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: SORT_VALUE_OPTIONS });
    for (const a of options(args)) {
      if (a.valueIndex === null) continue;
      if (a.name === '-o' || a.name === '--output') t.write(t.optionWord(a));
      else if (a.name === '--compress-program')
        t.ask('exec-option', 'sort --compress-program runs a program');
      else t.notPaths(a.valueIndex);
    }
  },
};

/** Options of uniq and xxd that take a value. */
export const SECOND_OPERAND_OUT_VALUE_OPTIONS: readonly string[] = [
  '-f',
  '-s',
  '-w',
  '-c',
  '-g',
  '-l',
  '-o',
  '-n',
];

/** Tools whose second operand is an output file: uniq IN OUT, xxd IN OUT. */
const secondOperandOut: ToolSpec = {
  readOnly: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: SECOND_OPERAND_OUT_VALUE_OPTIONS });
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    const ops = operands(args);
    if (ops[1]) t.write(t.args[ops[1].index]!);
  },
};

/** gzip and friends replace their operands unless they write to stdout. */
const compressor: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: ['-S', '--suffix', '-T', '--threads', '-o'] });
    const toStdout = hasOption(args, '-c', '--stdout', '--to-stdout', '-l', '--list', '-t', '--test');
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    if (toStdout) return;
    for (const op of operands(args)) t.write(t.args[op.index]!);
    t.changes();
  },
};

const zip: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: ['-b', '-n', '-t', '-tt', '-P', '-i', '-x', '-TT', '--unzip-command', '-O', '--output-file'],
    });
    if (hasOption(args, '-TT', '--unzip-command')) t.deny('exec-option', 'zip -TT runs a command');
    const ops = operands(args);
    if (ops[0]) t.write(t.args[ops[0].index]!);
    const move = hasOption(args, '-m', '--move');
    for (const op of ops.slice(1)) {
      t.read(t.args[op.index]!);
      if (move) t.write(t.args[op.index]!, { deletes: true });
    }
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    t.changes();
  },
};

const unzip: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: ['-d', '-x', '-P', '-O', '-I'] });
    for (const a of options(args)) if (a.valueIndex !== null && a.name !== '-d') t.notPaths(a.valueIndex);
    if (hasOption(args, '-l', '-t', '-v', '-Z', '-p', '-c', '-z')) return;
    const dir = optionValues(args, '-d')[0];
    if (dir?.valueIndex != null) t.write(t.optionWord(dir));
    else t.write('.');
    t.ask(
      'dynamic-argument',
      'extracting an archive writes the files inside it, which NAVI cannot check in advance',
    );
  },
};

const patch: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: [
        '-p',
        '-i',
        '--input',
        '-o',
        '--output',
        '-d',
        '--directory',
        '-B',
        '-r',
        '-D',
        '-F',
        '-z',
        '-V',
      ],
    });
    for (const a of options(args)) {
      if (a.valueIndex === null) continue;
      if (a.name === '-o' || a.name === '--output') t.write(t.optionWord(a));
      else if (a.name === '-i' || a.name === '--input') t.read(t.optionWord(a));
      else t.notPaths(a.valueIndex);
    }
    if (hasOption(args, '--dry-run')) return;
    t.changes();
    t.ask(
      'dynamic-argument',
      'patch writes the files named inside the patch, which NAVI cannot check in advance',
    );
  },
};

const date: ToolSpec = {
  readOnly: true,
  inertArgs: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: ['-d', '--date', '-f', '--file', '-r', '--reference', '-s', '--set', '-I'],
    });
    if (hasOption(args, '-s', '--set') || operands(args).some((o) => o.value !== null && /^\d/.test(o.value)))
      t.ask('system', 'date sets the system clock');
    for (const f of optionValues(args, '-f', '--file', '-r', '--reference'))
      if (f.valueIndex !== null) t.read(t.optionWord(f));
  },
};

const hostname: ToolSpec = {
  readOnly: true,
  noPaths: true,
  judge(t) {
    if (operands(parseArgs(t.values)).length > 0 || t.values.some((v) => v === '-F' || v === '--file'))
      t.ask('system', 'hostname with an argument renames the machine');
  },
};

const tree: ToolSpec = {
  readOnly: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: ['-o', '-L', '-P', '-I', '--charset', '--filelimit', '--timefmt', '--sort'],
    });
    for (const a of options(args)) {
      if (a.valueIndex === null) continue;
      if (a.name === '-o') t.write(t.optionWord(a));
      else t.notPaths(a.valueIndex);
    }
  },
};

/** `source FILE` / `. FILE` runs the file in this shell. */
const source: ToolSpec = {
  judge(t) {
    const file = t.args[0];
    if (!file) return;
    t.executes(file);
    t.ask('interpreter', `${t.name} runs ${file.value ?? file.raw} in this shell`);
  },
};

/** `trap 'code' SIGNAL` runs the code later. */
const trap: ToolSpec = {
  readOnly: true,
  judge(t) {
    const args = t.args.filter((_, i) => !(t.values[i] ?? '').startsWith('-'));
    if (args.length >= 2 && args[0]!.value !== '' && args[0]!.value !== '-') t.runShell(args[0]!, 'trap');
    t.notPaths(...t.values.map((_, i) => i));
  },
};

const alias: ToolSpec = {
  readOnly: true,
  noPaths: true,
  judge(t) {
    if (t.values.some((v) => v === null || v.includes('=')))
      t.ask('dynamic-code', 'alias changes what later command names run');
  },
};

const hash: ToolSpec = {
  readOnly: true,
  noPaths: true,
  judge(t) {
    if (t.values.includes('-p')) t.ask('env-override', 'hash -p makes a command name run another file');
  },
};

const enable: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (t.values.some((v) => v?.startsWith('-') && v.includes('f')))
      t.deny('exec-option', 'enable -f loads a shared library into the shell');
    else t.ask('env-override', 'enable turns shell builtins on or off, changing what names run');
  },
};

const mktemp: ToolSpec = {
  judge(t) {
    const args = parseArgs(t.values, { withValue: ['-p', '--tmpdir', '--suffix'] });
    const dir = optionValues(args, '-p', '--tmpdir')[0];
    if (dir?.valueIndex != null) t.write(t.optionWord(dir));
    for (const op of operands(args)) if (op.value?.includes('/')) t.write(t.args[op.index]!);
  },
};

const split: ToolSpec = {
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: ['-a', '-b', '-C', '-l', '-n', '-t', '--additional-suffix', '--filter'],
    });
    if (hasOption(args, '--filter')) t.ask('exec-option', 'split --filter runs a shell command');
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    const ops = operands(args);
    t.changes();
    t.write(ops[1] ? t.args[ops[1].index]! : 'x');
  },
};

/** eval's arguments are shell code: the parser judges them as children. */
const evalTool: ToolSpec = { readOnly: true, inertArgs: true, noPaths: true };

export const FILE_TOOLS: Readonly<Record<string, ToolSpec>> = {
  eval: evalTool,
  ...Object.fromEntries(INERT.map((n) => [n, inert])),
  ...Object.fromEntries(READERS.map((n) => [n, readOnly])),
  grep,
  egrep: grep,
  fgrep: grep,
  zgrep: grep,
  rg,
  ag: agAck,
  ack: agAck,
  find,
  fd,
  fdfind: fd,
  sed,
  gsed: sed,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
  tar,
  gtar: tar,
  bsdtar: tar,
  rm: remover(false),
  unlink: remover(false),
  shred: remover(false),
  rmdir: writer(['-m']),
  truncate: destructiveWriter('truncate cuts files short', ['-s', '--size'], ['-r', '--reference']),
  tee: writer([]),
  touch: writer(['-d', '--date', '-t'], ['-r', '--reference']),
  mkdir: writer(['-m', '--mode', '--context']),
  sponge: writer([]),
  cp: copier(false),
  mv: copier(true),
  install: copier(false),
  ln,
  chmod: modeChanger(false),
  chown: modeChanger(true),
  chgrp: modeChanger(true),
  dd,
  sort,
  uniq: secondOperandOut,
  xxd: secondOperandOut,
  gzip: compressor,
  gunzip: compressor,
  bzip2: compressor,
  bunzip2: compressor,
  xz: compressor,
  unxz: compressor,
  zstd: compressor,
  unzstd: compressor,
  lz4: compressor,
  brotli: compressor,
  zip,
  unzip,
  '7z': sevenZip,
  '7za': sevenZip,
  patch,
  date,
  hostname,
  tree,
  source,
  '.': source,
  trap,
  alias,
  hash,
  enable,
  mktemp,
  split,
  csplit: split,
};
