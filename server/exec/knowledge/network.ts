/**
 * Tools that talk to the network. All of them need approval; uploads of secret files
 * (knowledge/upload.ts), proxy and routing options (knowledge/networkTampering.ts), reverse
 * shells and options that make them run programs are refused. (Command output inside a URL or
 * hostname, and network output fed to a shell, are refused by the classifier's cross-command
 * checks.)
 */

import { judgeProxyOptions } from './networkTampering';
import { hasOption, operands, options, optionValues, parseArgs, type ToolSpec } from './types';
import { judgeSends, MAIL_TOOLS } from './upload';

/** A URL's file name, as `curl -O` and `wget` save it. */
function remoteName(url: string): string | null {
  try {
    const u = new URL(url.includes('://') ? url : `http://${url}`);
    const base = u.pathname.split('/').pop();
    return base || 'index.html';
  } catch {
    return null;
  }
}

const CURL_VALUE = [
  '-d',
  '--data',
  '--data-binary',
  '--data-raw',
  '--data-ascii',
  '--data-urlencode',
  '--json',
  '-F',
  '--form',
  '--form-string',
  '-T',
  '--upload-file',
  '-o',
  '--output',
  '--output-dir',
  '-D',
  '--dump-header',
  '-c',
  '--cookie-jar',
  '-b',
  '--cookie',
  '-K',
  '--config',
  '-E',
  '--cert',
  '--key',
  '--cacert',
  '--netrc-file',
  '--trace',
  '--trace-ascii',
  '--libcurl',
  '--stderr',
  '-w',
  '--write-out',
  '-X',
  '--request',
  '-H',
  '--header',
  '-u',
  '--user',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-x',
  '--proxy',
  '-m',
  '--max-time',
  '--connect-timeout',
  '--retry',
  '-r',
  '--range',
  '-U',
  '--proxy-user',
  '--resolve',
  '--connect-to',
  '-Y',
  '-y',
  '-z',
  '--time-cond',
  '-C',
  '--continue-at',
  '--limit-rate',
  '--max-filesize',
  '--url',
];

const CURL_WRITES = [
  '-o',
  '--output',
  '-D',
  '--dump-header',
  '-c',
  '--cookie-jar',
  '--trace',
  '--trace-ascii',
  '--libcurl',
  '--stderr',
];

const curl: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: CURL_VALUE });
    t.network('curl transfers data over the network');
    for (const a of options(args)) {
      if (a.valueIndex !== null) t.notPaths(a.valueIndex);
      const value = a.value;
      if (value === null) continue;
      const word = a.valueIndex !== null ? t.optionWord(a) : undefined;
      if (CURL_WRITES.includes(a.name) && value !== '-') t.write(word && word.value === value ? word : value);
      if (a.name === '--output-dir') t.write(value);
      if (
        ['-b', '--cookie', '--netrc-file', '-E', '--cert', '--key', '--cacert'].includes(a.name) &&
        /[/.]/.test(value)
      )
        t.read(value);
      if (a.name === '-K' || a.name === '--config')
        t.ask(
          'exec-option',
          'curl -K reads options from a file NAVI cannot check (it may upload or write files)',
        );
      if ((a.name === '-w' || a.name === '--write-out') && value.includes('%output{'))
        t.ask('dynamic-argument', 'curl --write-out %output{} writes to a file');
    }
    if (hasOption(args, '-O', '--remote-name', '--remote-name-all', '-J')) {
      for (const op of operands(args)) {
        const name = op.value !== null ? remoteName(op.value) : null;
        if (name) {
          t.write(name);
          t.downloads(name);
        }
      }
    }
    for (const o of optionValues(args, '-o', '--output')) if (o.value !== '-') t.downloads(o.value!);
    for (const op of operands(args)) t.notPaths(op.index);
    judgeSends(t, args);
    judgeProxyOptions(t, args);
  },
};

const wget: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: [
        '-O',
        '--output-document',
        '-P',
        '--directory-prefix',
        '-o',
        '--output-file',
        '-a',
        '--append-output',
        '--post-file',
        '--body-file',
        '--post-data',
        '--body-data',
        '-i',
        '--input-file',
        '-e',
        '--execute',
        '--header',
        '-U',
        '--user-agent',
        '--user',
        '--password',
        '-t',
        '--tries',
        '-T',
        '--timeout',
        '--method',
        '--config',
        '--load-cookies',
        '--save-cookies',
        '-Q',
        '-l',
        '--level',
        '-A',
        '-R',
        '-D',
        '-X',
        '-I',
      ],
    });
    t.network('wget downloads from the network');
    let savesTo: string | null = null;
    for (const a of options(args)) {
      if (a.valueIndex !== null) t.notPaths(a.valueIndex);
      const value = a.value;
      if (value === null) continue;
      if (a.name === '-O' || a.name === '--output-document') {
        if (value !== '-') {
          t.write(value);
          savesTo = value;
        } else savesTo = '-';
      } else if (
        [
          '-P',
          '--directory-prefix',
          '-o',
          '--output-file',
          '-a',
          '--append-output',
          '--save-cookies',
        ].includes(a.name)
      )
        t.write(value);
      else if (['-i', '--input-file', '--load-cookies'].includes(a.name)) t.read(value);
      else if (a.name === '-e' || a.name === '--execute' || a.name === '--config')
        t.ask(
          'exec-option',
          `wget ${a.name} applies settings NAVI cannot check (they may upload or write files)`,
        );
    }
    for (const op of operands(args)) {
      t.notPaths(op.index);
      if (savesTo === null && op.value !== null) {
        const name = remoteName(op.value);
        if (name) {
          t.write(name);
          t.downloads(name);
        }
      }
    }
    if (savesTo && savesTo !== '-') t.downloads(savesTo);
    judgeSends(t, args);
    judgeProxyOptions(t, args);
  },
};

/** netcat family: -e/-c/--exec/--sh-exec connect a program to the socket (a reverse shell). */
const netcat: ToolSpec = {
  noPaths: true,
  judge(t) {
    const exec = t.values.findIndex(
      (v) => v !== null && (/^-[a-zA-Z]*[ec]$/.test(v) || /^--(exec|sh-exec|lua-exec)(=|$)/.test(v)),
    );
    if (exec >= 0)
      t.deny('reverse-shell', `${t.name} ${t.values[exec]} connects a program to a network socket`);
    t.network(`${t.name} opens a network connection`);
  },
};

const socat: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (t.values.some((v) => v !== null && /(^|[,!])(EXEC|SYSTEM):/i.test(v)))
      t.deny('reverse-shell', 'socat EXEC:/SYSTEM: connects a program to a socket');
    t.network('socat opens network connections');
    judgeSends(t);
  },
};

/** ssh options that run local programs. */
const SSH_EXEC =
  /^(ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|Match|RemoteCommand)\s*[= ]/i;

const ssh: ToolSpec = {
  noPaths: true,
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: [
        '-o',
        '-F',
        '-i',
        '-p',
        '-l',
        '-L',
        '-R',
        '-D',
        '-J',
        '-W',
        '-b',
        '-c',
        '-E',
        '-e',
        '-I',
        '-m',
        '-O',
        '-Q',
        '-S',
        '-w',
        '-B',
        '-P',
      ],
      stopAtOperand: true,
    });
    for (const o of optionValues(args, '-o'))
      if (SSH_EXEC.test(o.value!))
        t.deny('exec-option', `${t.name} -o ${o.value!.split(/[= ]/)[0]} runs a local program`);
    if (hasOption(args, '-F')) t.ask('exec-option', `${t.name} -F reads a config file that can run programs`);
    for (const i of optionValues(args, '-i')) if (i.valueIndex !== null) t.read(t.optionWord(i));
    judgeProxyOptions(t, args);
    if (t.name === 'scp' || t.name === 'sftp') {
      if (hasOption(args, '-S')) t.deny('exec-option', `${t.name} -S runs another program as ssh`);
      const sent = judgeSends(t, args);
      for (const op of operands(args)) {
        if (op.value === null || sent.has(op.index)) continue;
        if (/^[^/]*:/.test(op.value) && !op.value.startsWith('./')) continue; // remote side
        t.read(t.args[op.index]!);
      }
      const ops = operands(args);
      const last = ops[ops.length - 1];
      if (last?.value && !/^[^/]*:/.test(last.value)) t.write(t.args[last.index]!);
      t.network(`${t.name} copies files over the network`);
      return;
    }
    const ops = operands(args);
    if (ops.length > 1) t.network(`ssh runs a command on ${ops[0]!.value ?? 'a remote host'}`);
    else t.network('ssh connects to another machine');
  },
};

/** Options of rsync that take a value (knowledge/overwrite.ts reads them too). */
export const RSYNC_VALUE_OPTIONS: readonly string[] = [
  '-e',
  '--rsh',
  '--rsync-path',
  '--exclude',
  '--include',
  '--exclude-from',
  '--include-from',
  '--files-from',
  '--password-file',
  '-f',
  '--filter',
  '--log-file',
  '--backup-dir',
  '--suffix',
  '-T',
  '--temp-dir',
  '--chmod',
  '--port',
  '--bwlimit',
  '--timeout',
  '--partial-dir',
  '--compare-dest',
  '--copy-dest',
  '--link-dest',
  '--out-format',
  '--info',
  '--debug',
  '-B',
  '--block-size',
  '--max-size',
  '--min-size',
  '--config',
];

const rsync: ToolSpec = {
  riskyOptions: true,
  judge(t) {
    const args = parseArgs(t.values, { withValue: RSYNC_VALUE_OPTIONS });
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    for (const e of optionValues(args, '-e', '--rsh')) {
      const words = (e.value ?? '').trim().split(/\s+/);
      if (words[0] !== 'ssh' || words.some((w) => /ProxyCommand|LocalCommand/i.test(w)))
        t.deny('exec-option', `rsync ${e.name} runs ${words[0] ?? 'a program'} instead of ssh`);
      else if (words.some((w) => /^-[a-zA-Z]*J/.test(w) || /ProxyJump/i.test(w)))
        t.deny(
          'network-tampering',
          `rsync ${e.name} changes which proxy its connections go through (ssh -J)`,
        );
    }
    if (hasOption(args, '--rsync-path'))
      t.ask('exec-option', 'rsync --rsync-path runs a command on the other side');
    const ops = operands(args);
    const remote = (v: string | null) => v !== null && (/^[^/]*::?/.test(v) || v.startsWith('rsync://'));
    if (ops.some((o) => remote(o.value))) t.network('rsync copies files over the network');
    const dest = ops[ops.length - 1];
    if (dest && !remote(dest.value))
      t.write(t.args[dest.index]!, {
        recursive: true,
        deletes: hasOption(args, '--delete', '--remove-source-files'),
      });
    const sent = judgeSends(t, args);
    for (const op of ops.slice(0, -1))
      if (!remote(op.value) && !sent.has(op.index)) t.read(t.args[op.index]!);
    t.changes();
  },
};

const simpleNetwork = (what: string): ToolSpec => ({
  noPaths: true,
  judge(t) {
    t.network(`${t.name} ${what}`);
    judgeSends(t);
    judgeProxyOptions(t, parseArgs(t.values));
  },
});

export const NETWORK_TOOLS: Readonly<Record<string, ToolSpec>> = {
  curl,
  wget,
  wget2: wget,
  nc: netcat,
  ncat: netcat,
  netcat,
  'nc.openbsd': netcat,
  'nc.traditional': netcat,
  socat,
  ssh,
  scp: ssh,
  sftp: ssh,
  rsync,
  http: simpleNetwork('sends HTTP requests'),
  https: simpleNetwork('sends HTTP requests'),
  xh: simpleNetwork('sends HTTP requests'),
  xhs: simpleNetwork('sends HTTP requests'),
  aria2c: simpleNetwork('downloads from the network'),
  ftp: simpleNetwork('transfers files over the network'),
  lftp: simpleNetwork('transfers files over the network'),
  tftp: simpleNetwork('transfers files over the network'),
  telnet: simpleNetwork('opens a network connection'),
  dig: simpleNetwork('sends DNS queries (DNS can carry data out)'),
  nslookup: simpleNetwork('sends DNS queries (DNS can carry data out)'),
  host: simpleNetwork('sends DNS queries (DNS can carry data out)'),
  drill: simpleNetwork('sends DNS queries (DNS can carry data out)'),
  ping: simpleNetwork('sends packets to another host'),
  ping6: simpleNetwork('sends packets to another host'),
  traceroute: simpleNetwork('sends packets to another host'),
  tracepath: simpleNetwork('sends packets to another host'),
  mtr: simpleNetwork('sends packets to another host'),
  whois: simpleNetwork('queries a remote server'),
  nmap: simpleNetwork('scans the network'),
  openssl: {
    readOnly: true,
    judge(t) {
      const sub = t.values[0];
      if (sub === 's_client' || sub === 's_server' || sub === 'ocsp')
        t.network(`openssl ${sub} opens network connections`);
      t.values.forEach((v, i) => {
        if ((v === '-out' || v === '-keyout') && t.args[i + 1]) t.write(t.args[i + 1]!);
        else if (v === '-in' && t.args[i + 1]) t.read(t.args[i + 1]!);
      });
    },
  },
  gh: simpleNetwork('talks to GitHub'),
  glab: simpleNetwork('talks to GitLab'),
  hub: simpleNetwork('talks to GitHub'),
  aws: simpleNetwork('talks to AWS'),
  gcloud: simpleNetwork('talks to Google Cloud'),
  gsutil: simpleNetwork('talks to Google Cloud'),
  az: simpleNetwork('talks to Azure'),
  kubectl: simpleNetwork('talks to a Kubernetes cluster'),
  helm: simpleNetwork('talks to a Kubernetes cluster'),
  terraform: simpleNetwork('changes cloud infrastructure'),
  tofu: simpleNetwork('changes cloud infrastructure'),
  pulumi: simpleNetwork('changes cloud infrastructure'),
  vercel: simpleNetwork('deploys to Vercel'),
  netlify: simpleNetwork('deploys to Netlify'),
  heroku: simpleNetwork('talks to Heroku'),
  fly: simpleNetwork('talks to Fly.io'),
  flyctl: simpleNetwork('talks to Fly.io'),
  firebase: simpleNetwork('talks to Firebase'),
  doctl: simpleNetwork('talks to DigitalOcean'),
  psql: simpleNetwork('connects to a database server'),
  mysql: simpleNetwork('connects to a database server'),
  mongosh: simpleNetwork('connects to a database server'),
  'redis-cli': simpleNetwork('connects to a database server'),
  tldr: simpleNetwork('downloads pages'),
  ...MAIL_TOOLS,
};
