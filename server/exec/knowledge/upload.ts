/**
 * Tools that send a file's content off the machine, and the arguments that carry it: the options
 * and operands that upload, post, attach, copy to a remote host or publish a file. Each one is
 * reported with ToolCall.sends: the classifier refuses a file that holds secrets (exfiltration;
 * secretFiles.ts says what a secret is) and asks for any other file. What a network command reads
 * on standard input is sent too; the classifier checks that for every network command.
 *
 * `store` marks destinations that exist to keep secrets (a GitHub Actions secret, a Kubernetes
 * secret, a key vault): putting a secret there is the point, so it asks instead.
 */

import type { Word } from '../parse';
import { operands, options, parseArgs, type Arg, type ToolCall, type ToolSpec } from './types';

/**
 * How an argument carries a file:
 * - `file`: the value is the file (`curl -T FILE`, `--body-file FILE`); `-` is standard input;
 * - `at`: `@FILE` (`curl -d @FILE`, `az … --value @FILE`);
 * - `maybe-at`: `FILE` or `@FILE` (`swaks --attach`);
 * - `named-at`: `@FILE` or `NAME@FILE` (`curl --data-urlencode`);
 * - `form`: `NAME=@FILE` or `NAME=<FILE`, options after `;` (`curl -F`, `gh api -F`);
 * - `keyed-file`: `FILE` or `KEY=FILE` (`kubectl create secret --from-file`);
 * - `item`: HTTPie request items `NAME@FILE`, `NAME=@FILE`, `NAME:=@FILE`, `@FILE`;
 * - `file-url`: `file://FILE`, `fileb://FILE` (aws);
 * - `asset`: `FILE` or `FILE#LABEL` (`gh release upload`);
 * - `socat`: a socat address that reads a file (`FILE:`, `OPEN:`, `GOPEN:`);
 * - `until-dashdash`: the value and the words after it up to `--` (`mutt -a A B -- ADDRESS`).
 */
export type Carrier =
  | 'file'
  | 'at'
  | 'maybe-at'
  | 'named-at'
  | 'form'
  | 'keyed-file'
  | 'item'
  | 'file-url'
  | 'asset'
  | 'socat'
  | 'until-dashdash';

/** What one command (a tool, or one of its sub-commands) sends. */
export interface Sender {
  /** Options whose value carries a file, and how. */
  options?: Readonly<Record<string, Carrier>>;
  /** Other options that take a value, so that their values are not read as operands. */
  valueOptions?: readonly string[];
  /**
   * Operands that carry files: every operand from an index on, or (`toRemote`) every operand
   * before the first one that names a remote place (`scp A B host:`, `aws s3 cp A s3://b/`).
   */
  operands?: { from: number; carrier: Carrier } | { toRemote: RegExp };
  /** The destination exists to keep secrets; the words a reason uses for it. */
  store?: string;
}

export interface SendingTool {
  /** Options before the sub-command that take a value. */
  valueOptions?: readonly string[];
  /** Any argument in this form carries a file, whatever the sub-command (aws `file://`, az `@`). */
  every?: Carrier;
  /** By sub-command words (`gist create`); `''` for the tool itself or any other sub-command. */
  commands: Readonly<Record<string, Sender>>;
}

const BODY_FILE: Sender = {
  options: { '-F': 'file', '--body-file': 'file' },
  valueOptions: ['-t', '--title', '-b', '--body', '-R', '--repo', '-B', '--base', '-H', '--head'],
};
const NOTES_FILE: Sender = {
  options: { '-F': 'file', '--notes-file': 'file' },
  valueOptions: ['-t', '--title', '-n', '--notes', '--target', '-R', '--repo'],
};
const ANY_FILE: Sender = { operands: { from: 0, carrier: 'file' } };
const ENV_FILE_OPTION = { '-f': 'file', '--env-file': 'file' } as const;

const SCP_REMOTE = /^[^/]*:/;
const S3 = /^s3:\/\//i;
const GS = /^gs:\/\//i;
const S3_VALUE = [
  '--exclude',
  '--include',
  '--acl',
  '--storage-class',
  '--sse',
  '--sse-kms-key-id',
  '--content-type',
  '--cache-control',
  '--content-encoding',
  '--content-disposition',
  '--metadata',
  '--metadata-directive',
  '--expires',
  '--grants',
];
const HTTPIE: SendingTool = {
  commands: {
    '': {
      operands: { from: 0, carrier: 'item' },
      valueOptions: [
        '-a',
        '--auth',
        '-A',
        '--auth-type',
        '-o',
        '--output',
        '-p',
        '--print',
        '-s',
        '--style',
        '--session',
        '--session-read-only',
        '--cert',
        '--cert-key',
        '--verify',
        '--proxy',
        '--timeout',
        '--max-redirects',
        '--pretty',
        '--format-options',
        '--boundary',
        '--raw',
        '--default-scheme',
        '--ssl',
        '--ciphers',
      ],
    },
  },
};
const MAILX: SendingTool = {
  commands: {
    '': {
      options: { '-a': 'file', '-A': 'file', '--attach': 'file', '-q': 'file' },
      valueOptions: ['-s', '--subject', '-c', '--cc', '-b', '--bcc', '-r', '--return-address', '-S'],
    },
  },
};
const MUTT: SendingTool = {
  commands: {
    '': {
      options: { '-a': 'until-dashdash', '-i': 'file', '-H': 'file' },
      valueOptions: ['-s', '-c', '-b', '-F', '-e', '-f', '-m', '-Q'],
    },
  },
};
const STDIN_ONLY: SendingTool = { commands: {} };

/** Tool → what it sends. */
export const SENDING_TOOLS: Readonly<Record<string, SendingTool>> = {
  curl: {
    commands: {
      '': {
        options: {
          '-d': 'at',
          '--data': 'at',
          '--data-binary': 'at',
          '--data-ascii': 'at',
          '--json': 'at',
          '--data-urlencode': 'named-at',
          '-F': 'form',
          '--form': 'form',
          '-T': 'file',
          '--upload-file': 'file',
        },
      },
    },
  },
  wget: { commands: { '': { options: { '--post-file': 'file', '--body-file': 'file' } } } },
  wget2: { commands: { '': { options: { '--post-file': 'file', '--body-file': 'file' } } } },
  scp: { commands: { '': { operands: { toRemote: SCP_REMOTE } } } },
  rsync: { commands: { '': { operands: { toRemote: /^(?:[^/]*:|rsync:\/\/)/ } } } },
  socat: { every: 'socat', commands: {} },
  http: HTTPIE,
  https: HTTPIE,
  xh: HTTPIE,
  xhs: HTTPIE,
  gh: {
    valueOptions: ['-R', '--repo'],
    commands: {
      'gist create': { ...ANY_FILE, valueOptions: ['-d', '--desc', '-f', '--filename'] },
      'gist edit': { options: { '-a': 'file', '--add': 'file' }, valueOptions: ['-f', '--filename'] },
      'release create': { ...NOTES_FILE, operands: { from: 1, carrier: 'asset' } },
      'release upload': { operands: { from: 1, carrier: 'asset' }, valueOptions: ['-R', '--repo'] },
      'release edit': NOTES_FILE,
      'issue create': BODY_FILE,
      'issue comment': BODY_FILE,
      'issue edit': BODY_FILE,
      'pr create': BODY_FILE,
      'pr comment': BODY_FILE,
      'pr edit': BODY_FILE,
      'pr review': BODY_FILE,
      'pr merge': BODY_FILE,
      api: {
        options: { '--input': 'file', '-F': 'form', '--field': 'form' },
        valueOptions: [
          '-X',
          '--method',
          '-H',
          '--header',
          '-f',
          '--raw-field',
          '-q',
          '--jq',
          '-t',
          '--template',
        ],
      },
      'ssh-key add': ANY_FILE,
      'gpg-key add': ANY_FILE,
      'secret set': { options: ENV_FILE_OPTION, store: 'a GitHub secret' },
      'variable set': { options: ENV_FILE_OPTION },
    },
  },
  glab: {
    valueOptions: ['-R', '--repo'],
    commands: {
      'snippet create': {
        ...ANY_FILE,
        valueOptions: ['-t', '--title', '-d', '--description', '-f', '--filename'],
      },
      'release create': { ...NOTES_FILE, operands: { from: 1, carrier: 'asset' } },
      'release upload': { operands: { from: 1, carrier: 'asset' } },
      api: { options: { '--input': 'file', '-F': 'form', '--field': 'form' } },
      'ssh-key add': ANY_FILE,
    },
  },
  aws: {
    valueOptions: [
      '--profile',
      '--region',
      '--output',
      '--endpoint-url',
      '--query',
      '--ca-bundle',
      '--color',
    ],
    every: 'file-url',
    commands: {
      's3 cp': { operands: { toRemote: S3 }, valueOptions: S3_VALUE },
      's3 mv': { operands: { toRemote: S3 }, valueOptions: S3_VALUE },
      's3 sync': { operands: { toRemote: S3 }, valueOptions: S3_VALUE },
      's3api put-object': { options: { '--body': 'file' } },
      'secretsmanager create-secret': { store: 'AWS Secrets Manager' },
      'secretsmanager put-secret-value': { store: 'AWS Secrets Manager' },
      'secretsmanager update-secret': { store: 'AWS Secrets Manager' },
      'ssm put-parameter': { store: 'the AWS parameter store' },
      'kms encrypt': { store: 'AWS KMS to be encrypted' },
    },
  },
  gsutil: {
    valueOptions: ['-o', '-h', '-u', '-i'],
    commands: {
      cp: { operands: { toRemote: GS } },
      mv: { operands: { toRemote: GS } },
      rsync: { operands: { toRemote: GS }, valueOptions: ['-x', '-p'] },
    },
  },
  gcloud: {
    valueOptions: ['--project', '--account', '--configuration', '--format', '--verbosity'],
    commands: {
      'storage cp': { operands: { toRemote: GS } },
      'storage mv': { operands: { toRemote: GS } },
      'storage rsync': { operands: { toRemote: GS } },
      'compute scp': { operands: { toRemote: SCP_REMOTE }, valueOptions: ['--zone', '--ssh-key-file'] },
      'secrets create': { options: { '--data-file': 'file' }, store: 'Google Secret Manager' },
      'secrets versions add': { options: { '--data-file': 'file' }, store: 'Google Secret Manager' },
    },
  },
  az: {
    every: 'at',
    valueOptions: ['--subscription', '-o', '--output', '--query'],
    commands: {
      'storage blob upload': { options: { '-f': 'file', '--file': 'file' } },
      'storage blob upload-batch': { options: { '-s': 'file', '--source': 'file' } },
      'storage blob sync': { options: { '-s': 'file', '--source': 'file' } },
      'storage file upload': { options: { '--source': 'file' } },
      'storage file upload-batch': { options: { '-s': 'file', '--source': 'file' } },
      'keyvault secret set': { options: { '-f': 'file', '--file': 'file' }, store: 'Azure Key Vault' },
    },
  },
  kubectl: {
    valueOptions: ['-n', '--namespace', '--context', '--kubeconfig', '--cluster', '--user', '-s', '--server'],
    commands: {
      cp: { operands: { toRemote: /^[\w.-]+(?:\/[\w.-]+)?:/ }, valueOptions: ['-c', '--container'] },
      'create secret': {
        options: { '--from-file': 'keyed-file', '--from-env-file': 'file' },
        store: 'a Kubernetes secret',
      },
      'create configmap': { options: { '--from-file': 'keyed-file', '--from-env-file': 'file' } },
    },
  },
  mail: MAILX,
  mailx: MAILX,
  'bsd-mailx': MAILX,
  's-nail': MAILX,
  mutt: MUTT,
  neomutt: MUTT,
  swaks: {
    commands: {
      '': {
        options: { '--attach': 'maybe-at', '--body': 'at', '--data': 'at' },
        valueOptions: [
          '-t',
          '--to',
          '-f',
          '--from',
          '-s',
          '--server',
          '-p',
          '--port',
          '--header',
          '--h-Subject',
        ],
      },
    },
  },
  sendmail: STDIN_ONLY,
  msmtp: STDIN_ONLY,
  ssmtp: STDIN_ONLY,
};

/** The file an argument carries in this form, or null (`-` is standard input, judged apart). */
export function carriedFile(carrier: Carrier, value: string): string | null {
  const file = ((): string | null | undefined => {
    switch (carrier) {
      case 'file':
      case 'until-dashdash':
        return value === '.' ? null : value;
      case 'at':
        return value.startsWith('@') ? value.slice(1) : null;
      case 'maybe-at':
        return value.replace(/^@/, '');
      case 'named-at':
        return /^[^=@]*@(.+)$/.exec(value)?.[1];
      case 'form':
        return /^[^=]*=[@<]([^;]+)/.exec(value)?.[1];
      case 'keyed-file':
        return value.includes('=') ? value.slice(value.indexOf('=') + 1) : value;
      case 'item':
        return /^[^=:@/\\]*(?:=|:=|:)?@([^;]+)/.exec(value)?.[1];
      case 'file-url':
        return /^fileb?:\/\/(.+)$/i.exec(value)?.[1];
      case 'asset':
        return value.replace(/#.*$/, '');
      case 'socat':
        return /^(?:FILE|OPEN|GOPEN):([^,]+)/i.exec(value)?.[1];
    }
  })();
  return file && file !== '-' ? file : null;
}

/** The sender for a command's arguments: the longest sub-command that matches, else the tool's own. */
function senderFor(
  tool: SendingTool,
  values: readonly (string | null)[],
): { sender: Sender | undefined; key: string; rest: number } {
  const words: { value: string; index: number }[] = [];
  const global = new Set(tool.valueOptions ?? []);
  for (let i = 0; i < values.length && words.length < 4; i++) {
    const v = values[i];
    if (v === null || v === undefined) break;
    if (v.startsWith('-')) {
      if (global.has(v)) i++;
      continue;
    }
    words.push({ value: v, index: i });
  }
  for (let n = words.length; n > 0; n--) {
    const key = words
      .slice(0, n)
      .map((w) => w.value)
      .join(' ');
    const sender = tool.commands[key];
    if (sender) return { sender, key, rest: words[n - 1]!.index + 1 };
  }
  return { sender: tool.commands[''], key: '', rest: 0 };
}

/**
 * Where a command's standard input goes when the destination keeps secrets (`gh secret set NAME
 * < key.pem`), else undefined: the classifier refuses a secret on the input of any other network
 * command.
 */
export function inputStore(name: string, values: readonly (string | null)[]): string | undefined {
  const tool = SENDING_TOOLS[name];
  return tool ? senderFor(tool, values).sender?.store : undefined;
}

/**
 * Reports every file the command sends (ToolCall.sends). `parsed`: the tool's own reading of its
 * arguments, when its judge already has one (curl, wget, scp, rsync); the indexes of the operands
 * reported are returned, so that the judge does not read them again.
 */
export function judgeSends(t: ToolCall, parsed?: readonly Arg[]): Set<number> {
  const sent = new Set<number>();
  const tool = SENDING_TOOLS[t.name];
  if (!tool) return sent;
  const { sender, key, rest } = parsed
    ? { sender: tool.commands[''], key: '', rest: 0 }
    : senderFor(tool, t.values);
  const how = key ? `${t.name} ${key}` : t.name;
  const store = sender?.store;
  const send = (target: Word | string, what: string) => t.sends(target, what, store ? { store } : {});
  if (tool.every)
    t.values.forEach((v, i) => {
      const file = v === null ? null : carriedFile(tool.every!, v);
      if (file) {
        t.notPaths(i);
        send(file, `${how} ${v}`);
      }
    });
  if (!sender) return sent;
  const args: readonly Arg[] =
    parsed ??
    parseArgs(t.values.slice(rest), {
      withValue: [
        ...Object.keys(sender.options ?? {}),
        ...(sender.valueOptions ?? []),
        ...(tool.valueOptions ?? []),
      ],
    }).map((a) =>
      a.kind === 'option'
        ? { ...a, index: a.index + rest, valueIndex: a.valueIndex === null ? null : a.valueIndex + rest }
        : { ...a, index: a.index + rest },
    );
  for (const a of options(args)) {
    const carrier = sender.options?.[a.name];
    if (!carrier || a.value === null) continue;
    if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    const file = carriedFile(carrier, a.value);
    const whole = file === a.value && a.valueIndex !== null;
    if (file) send(whole ? t.optionWord(a) : file, `${how} ${a.name}`);
    if (carrier === 'until-dashdash' && a.valueIndex !== null)
      for (let i = a.valueIndex + 1; i < t.values.length; i++) {
        const v = t.values[i];
        if (v === '--' || v === null || v === undefined || v.startsWith('-')) break;
        t.notPaths(i);
        send(t.args[i]!, `${how} ${a.name}`);
        sent.add(i);
      }
  }
  const ops = operands(args);
  const spec = sender.operands;
  if (spec && 'from' in spec) {
    for (const op of ops.slice(spec.from)) {
      const file = op.value === null ? null : carriedFile(spec.carrier, op.value);
      if (!file) continue;
      t.notPaths(op.index);
      send(file === op.value ? t.args[op.index]! : file, how);
      sent.add(op.index);
    }
  } else if (spec) {
    const remote = ops.findIndex((o) => o.value !== null && spec.toRemote.test(o.value));
    for (const op of remote > 0 ? ops.slice(0, remote) : []) {
      if (op.value === null) continue;
      send(t.args[op.index]!, `${how} (to ${ops[remote]!.value})`);
      sent.add(op.index);
    }
  }
  return sent;
}

/** Mail programs: they hand a message to the mail system, which sends it off the machine. */
const mailTool: ToolSpec = {
  noPaths: true,
  judge(t) {
    t.network(`${t.name} sends mail`);
    judgeSends(t);
  },
};

export const MAIL_TOOLS: Readonly<Record<string, ToolSpec>> = Object.fromEntries(
  ['mail', 'mailx', 'bsd-mailx', 's-nail', 'mutt', 'neomutt', 'swaks', 'sendmail', 'msmtp', 'ssmtp'].map(
    (n) => [n, mailTool],
  ),
);
