/**
 * Containers, privilege and the machine itself. Privilege changes are refused, containers that
 * get the host (root or system mounts, --privileged, host namespaces, the Docker socket) are
 * refused, anything that schedules code for later is refused, and the rest of machine
 * administration needs approval.
 */

import * as path from 'node:path';
import { hasOption, operands, options, parseArgs, type ToolCall, type ToolSpec } from './types';

/** Host paths a container must never mount. */
const HOST_SYSTEM =
  /^\/(etc|root|home|proc|sys|dev|boot|usr|var|bin|sbin|lib|lib64|opt|run|srv|Users|System|Library|private)?(\/|$)/;
const DOCKER_SOCKET = /docker\.sock|containerd\.sock|podman\.sock/;

const DOCKER_VALUE = [
  '-v',
  '--volume',
  '--mount',
  '-e',
  '--env',
  '--env-file',
  '-p',
  '--publish',
  '--name',
  '-w',
  '--workdir',
  '-u',
  '--user',
  '--network',
  '--net',
  '--pid',
  '--ipc',
  '--uts',
  '--userns',
  '--cgroupns',
  '--cap-add',
  '--cap-drop',
  '--device',
  '--security-opt',
  '--entrypoint',
  '-h',
  '--hostname',
  '-l',
  '--label',
  '--platform',
  '-m',
  '--memory',
  '--cpus',
  '--restart',
  '--add-host',
  '--dns',
  '--tmpfs',
  '--volumes-from',
  '--gpus',
  '-f',
  '--file',
  '-t',
  '--tag',
  '--build-arg',
  '--target',
  '--secret',
  '--ssh',
  '-H',
  '--host',
  '--context',
  '-c',
  '--config',
  '--log-level',
  '--stop-signal',
  '--health-cmd',
];

const DANGEROUS_CAPS =
  /^(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|SYS_RAWIO|DAC_READ_SEARCH|DAC_OVERRIDE|NET_ADMIN|SYS_BOOT|MKNOD|BPF|PERFMON|SYS_CHROOT)$/i;

/** Judges a host path mounted into a container. */
function hostMount(t: ToolCall, source: string, option: string): void {
  if (!source.startsWith('/') && !source.startsWith('.') && !source.startsWith('~')) return; // a named volume
  const abs = t.resolve(source);
  if (abs === null) {
    t.ask('dynamic-argument', `${option} mounts a host folder only known when it runs`);
    return;
  }
  const normal = path.posix.normalize(abs);
  if (DOCKER_SOCKET.test(normal)) {
    t.deny(
      'container-escape',
      `${option} ${source} gives the container the Docker socket (root on the host)`,
    );
    return;
  }
  if (t.inWorkspace(normal)) return;
  if (normal === '/' || HOST_SYSTEM.test(normal))
    t.deny(
      'container-escape',
      `${option} ${source} mounts the host's ${normal === '/' ? 'root folder' : 'system or home folders'} into the container`,
    );
  else
    t.deny(
      'container-escape',
      `${option} ${source} mounts a folder outside the workspace into the container`,
    );
}

function judgeRun(t: ToolCall, all: ReturnType<typeof parseArgs>): void {
  for (const a of options(all)) {
    const value = a.value ?? '';
    switch (a.name) {
      case '-v':
      case '--volume':
        hostMount(t, value.split(':')[0] ?? '', `${a.name}`);
        break;
      case '--mount': {
        const fields = Object.fromEntries(
          value.split(',').map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]),
        );
        const source = fields.source ?? fields.src;
        if (source && (fields.type === 'bind' || fields.type === undefined)) hostMount(t, source, '--mount');
        break;
      }
      case '--privileged':
        t.deny('container-escape', `${t.name} --privileged gives the container full access to the host`);
        break;
      case '--pid':
      case '--ipc':
      case '--uts':
      case '--userns':
      case '--cgroupns':
        if (value === 'host')
          t.deny('container-escape', `${a.name}=host shares the host's namespace with the container`);
        break;
      case '--network':
      case '--net':
        if (value === 'host') t.ask('network', `${a.name}=host gives the container the host's network`);
        break;
      case '--cap-add':
        if (DANGEROUS_CAPS.test(value))
          t.deny('container-escape', `--cap-add ${value} gives the container host-level power`);
        break;
      case '--device':
        t.deny('container-escape', `--device ${value} gives the container a host device`);
        break;
      case '--security-opt':
        if (/unconfined|label[:=]disable|no-new-privileges[:=]false/.test(value))
          t.deny('container-escape', `--security-opt ${value} turns off the container's confinement`);
        break;
      case '--volumes-from':
        t.ask('container', `--volumes-from ${value} shares another container's volumes`);
        break;
      case '--env-file':
        t.read(value);
        break;
    }
  }
}

const container: ToolSpec = {
  noPaths: true,
  judge(t) {
    const all = parseArgs(t.values, { withValue: DOCKER_VALUE });
    for (const a of options(all))
      if ((a.name === '-H' || a.name === '--host' || a.name === '--context') && a.value !== null)
        t.network(`${t.name} ${a.name} talks to another Docker daemon`);
    const ops = operands(all);
    let verb = ops[0]?.value;
    let rest = 1;
    if (
      (verb === 'container' ||
        verb === 'image' ||
        verb === 'volume' ||
        verb === 'network' ||
        verb === 'system' ||
        verb === 'builder' ||
        verb === 'buildx') &&
      ops[1]
    ) {
      verb = ops[1].value === 'ls' || ops[1].value === 'list' ? 'ps' : ops[1].value;
      rest = 2;
    }
    void rest;
    if (verb === undefined) return;
    if (verb === null) {
      t.ask('dynamic-argument', `the ${t.name} command is only known when it runs`);
      return;
    }
    if (
      [
        'ps',
        'images',
        'logs',
        'inspect',
        'version',
        'info',
        'top',
        'port',
        'diff',
        'history',
        'stats',
        'events',
        'search',
        'df',
        'help',
        'ls',
      ].includes(verb)
    ) {
      if (verb === 'search') t.network(`${t.name} search queries a registry`);
      return;
    }
    t.changes();
    if (verb === 'run' || verb === 'create') {
      judgeRun(t, all);
      t.ask('container', `${t.name} ${verb} starts a container (it may also pull an image)`);
      return;
    }
    if (verb === 'exec' || verb === 'attach' || verb === 'start' || verb === 'restart') {
      if (hasOption(all, '--privileged'))
        t.deny('container-escape', `${t.name} ${verb} --privileged gives full access to the host`);
      t.ask('container', `${t.name} ${verb} runs commands in a container`);
      return;
    }
    if (verb === 'build') {
      t.ask('container', `${t.name} build runs the Dockerfile's build steps`);
      return;
    }
    if (verb === 'compose') {
      t.ask(
        'container',
        `${t.name} compose runs the services in the compose file (which can mount host folders)`,
      );
      return;
    }
    if (verb === 'cp') {
      const paths = ops.slice(1).filter((o) => o.value !== null && !o.value.includes(':'));
      for (const p of paths) t.write(t.args[p.index]!, { recursive: true });
      t.ask('container', `${t.name} cp copies files between a container and the host`);
      return;
    }
    if (['pull', 'push', 'login', 'logout', 'tag'].includes(verb)) {
      t.network(`${t.name} ${verb} talks to a registry`);
      return;
    }
    t.ask('container', `${t.name} ${verb} changes containers or images`);
  },
};

const privilege: ToolSpec = {
  noPaths: true,
  judge(t) {
    t.deny('privilege', `${t.name} runs commands with other privileges; NAVI never does that`);
  },
};

const persistence = (what: string): ToolSpec => ({
  noPaths: true,
  judge(t) {
    t.deny('persistence', `${t.name} ${what}`);
  },
});

const system = (what: string, effect: 'ask' | 'deny' = 'ask'): ToolSpec => ({
  noPaths: true,
  judge(t) {
    if (effect === 'deny') t.deny('system', `${t.name} ${what}`);
    else t.ask('system', `${t.name} ${what}`);
  },
});

const crontab: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (t.values.length > 0 && t.values.every((v) => v === '-l' || v === '-u' || v === '-h')) return;
    t.deny('persistence', 'crontab changes scheduled jobs that run later, outside NAVI');
  },
};

const systemctl: ToolSpec = {
  noPaths: true,
  judge(t) {
    const verb = t.values.find((v) => v === null || !v.startsWith('-'));
    if (
      verb === undefined ||
      [
        'status',
        'is-active',
        'is-enabled',
        'is-failed',
        'list-units',
        'list-unit-files',
        'list-timers',
        'show',
        'cat',
        'help',
        'list-dependencies',
      ].includes(verb ?? '')
    )
      return;
    if (
      [
        'enable',
        'link',
        'edit',
        'add-wants',
        'add-requires',
        'set-property',
        'preset',
        'reenable',
        'revert',
        'set-environment',
        'import-environment',
      ].includes(verb ?? '')
    )
      t.deny('persistence', `systemctl ${verb} makes code run later (at boot or on events)`);
    else t.ask('system', `systemctl ${verb ?? ''} changes services`);
  },
};

const launchctl: ToolSpec = {
  noPaths: true,
  judge(t) {
    const verb = t.values[0];
    if (verb === 'list' || verb === 'print' || verb === 'help' || verb === 'version') return;
    t.deny('persistence', `launchctl ${verb ?? ''} loads or changes jobs that run outside NAVI`);
  },
};

const kill: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (t.values.length === 1 && (t.values[0] === '-l' || t.values[0] === '-L')) return;
    t.ask('system', `${t.name} stops processes`);
  },
};

const sysctl: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (t.values.some((v) => v === null || v === '-w' || v.includes('=') || v === '-p'))
      t.ask('system', 'sysctl changes kernel settings');
  },
};

const open: ToolSpec = {
  judge(t) {
    t.ask('system', `${t.name} opens files, links or applications outside NAVI`);
  },
};

export const SYSTEM_TOOLS: Readonly<Record<string, ToolSpec>> = {
  docker: container,
  podman: container,
  nerdctl: container,
  finch: container,
  'docker-compose': {
    noPaths: true,
    judge: (t) =>
      t.ask(
        'container',
        'docker-compose runs the services in the compose file (which can mount host folders)',
      ),
  },
  sudo: privilege,
  su: privilege,
  doas: privilege,
  pkexec: privilege,
  run0: privilege,
  runuser: privilege,
  sudoedit: privilege,
  chroot: privilege,
  nsenter: privilege,
  unshare: privilege,
  setpriv: privilege,
  capsh: privilege,
  setcap: privilege,
  newgrp: privilege,
  sg: privilege,
  'systemd-run': privilege,
  crontab,
  at: persistence('schedules a command to run later, outside NAVI'),
  batch: persistence('schedules a command to run later, outside NAVI'),
  systemctl,
  launchctl,
  service: system('starts or stops services'),
  shutdown: system('turns the machine off', 'deny'),
  reboot: system('restarts the machine', 'deny'),
  halt: system('stops the machine', 'deny'),
  poweroff: system('turns the machine off', 'deny'),
  init: system('changes the run level', 'deny'),
  telinit: system('changes the run level', 'deny'),
  mkfs: system('formats a disk', 'deny'),
  fdisk: system('changes disk partitions', 'deny'),
  sfdisk: system('changes disk partitions', 'deny'),
  parted: system('changes disk partitions', 'deny'),
  wipefs: system('erases disk signatures', 'deny'),
  mkswap: system('formats a disk', 'deny'),
  mount: system('mounts file systems', 'deny'),
  umount: system('unmounts file systems', 'deny'),
  losetup: system('attaches disk images', 'deny'),
  swapon: system('changes swap', 'deny'),
  swapoff: system('changes swap', 'deny'),
  modprobe: system('loads kernel modules', 'deny'),
  insmod: system('loads kernel modules', 'deny'),
  rmmod: system('unloads kernel modules', 'deny'),
  iptables: system('changes the firewall', 'deny'),
  ip6tables: system('changes the firewall', 'deny'),
  nft: system('changes the firewall', 'deny'),
  ufw: system('changes the firewall', 'deny'),
  useradd: system('changes user accounts', 'deny'),
  userdel: system('changes user accounts', 'deny'),
  usermod: system('changes user accounts', 'deny'),
  groupadd: system('changes user accounts', 'deny'),
  passwd: system('changes passwords', 'deny'),
  chpasswd: system('changes passwords', 'deny'),
  visudo: system('changes sudo rules', 'deny'),
  chattr: system('changes file attributes'),
  ldconfig: system('changes the library cache', 'deny'),
  'update-alternatives': system('changes system defaults', 'deny'),
  hostnamectl: system('renames the machine'),
  timedatectl: system('changes the clock'),
  ifconfig: system('changes network interfaces'),
  ip: system('changes network settings'),
  route: system('changes network routes'),
  sysctl,
  kill,
  pkill: kill,
  killall: kill,
  xkill: kill,
  disown: system('detaches a job so it keeps running after NAVI'),
  fc: system('re-runs commands from history'),
  open,
  'xdg-open': open,
  start: open,
  gio: open,
};
