import './earlyAgent';
import { NAVI_VERSION } from '../server/version';
import { EXIT, UsageError } from './common';
import { ALLOW_HELP, ALLOW_SUMMARY, allowCommand } from './commands/allow';
import { AUDIT_HELP, AUDIT_SUMMARY, auditCommand } from './commands/audit';
import { CHECK_HELP, CHECK_SUMMARY, checkCommand } from './commands/check';
import { LOGIN_HELP, LOGIN_SUMMARY, loginCommand } from './commands/login';
import { METRICS_HELP, METRICS_SUMMARY, metricsCommand } from './commands/metrics';
import { LOGOUT_HELP, LOGOUT_SUMMARY, logoutCommand } from './commands/logout';
import { RUN_HELP, RUN_SUMMARY, runCommand } from './commands/run';
import { PROFILE_HELP, PROFILE_SUMMARY, profileCommandCli } from './commands/profile';
import { SCAN_HELP, scanCommand } from './commands/scan';
import { START_HELP, START_SUMMARY, startCommand } from './commands/start';
import { WHOAMI_HELP, WHOAMI_SUMMARY, whoamiCommand } from './commands/whoami';
import { TEST_HELP, TEST_SUMMARY, testCommand } from './commands/test';
import {
  FIX_HELP,
  FIX_SUMMARY,
  RECEIPTS_HELP,
  RECEIPTS_SUMMARY,
  ROLLBACK_HELP,
  ROLLBACK_SUMMARY,
  fixCommand,
  receiptsCommand,
  rollbackCommand,
} from './commands/fix';

/** Every `navi` command: its one-line summary, its help and its handler (args after the name). */
const COMMANDS: Record<string, { summary: string; help: string; run: (args: string[]) => Promise<number> }> =
  {
    scan: {
      summary: 'Scan a repository: projects, commands, CI, risks, next steps.',
      help: SCAN_HELP,
      run: scanCommand,
    },
    check: { summary: CHECK_SUMMARY, help: CHECK_HELP, run: checkCommand },
    run: { summary: RUN_SUMMARY, help: RUN_HELP, run: runCommand },
    start: { summary: START_SUMMARY, help: START_HELP, run: startCommand },
    profile: { summary: PROFILE_SUMMARY, help: PROFILE_HELP, run: profileCommandCli },
    test: { summary: TEST_SUMMARY, help: TEST_HELP, run: testCommand },
    fix: { summary: FIX_SUMMARY, help: FIX_HELP, run: fixCommand },
    receipts: { summary: RECEIPTS_SUMMARY, help: RECEIPTS_HELP, run: receiptsCommand },
    rollback: { summary: ROLLBACK_SUMMARY, help: ROLLBACK_HELP, run: rollbackCommand },
    allow: { summary: ALLOW_SUMMARY, help: ALLOW_HELP, run: allowCommand },
    audit: { summary: AUDIT_SUMMARY, help: AUDIT_HELP, run: (args) => auditCommand(args, process) },
    metrics: { summary: METRICS_SUMMARY, help: METRICS_HELP, run: (args) => metricsCommand(args) },
    login: { summary: LOGIN_SUMMARY, help: LOGIN_HELP, run: (args) => loginCommand(args) },
    logout: { summary: LOGOUT_SUMMARY, help: LOGOUT_HELP, run: (args) => logoutCommand(args) },
    whoami: { summary: WHOAMI_SUMMARY, help: WHOAMI_HELP, run: (args) => whoamiCommand(args) },
  };

const HELP = `navi — NAVI, the repo-safe engineering agent, in your terminal

Usage:
  navi <command> [options]      (navi help <command> for its options)
  navi --help | -h
  navi --version | -v

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    if (rest[0] !== undefined && !topic) throw new UsageError(`Unknown command "${rest[0]}".`);
    process.stdout.write(`${topic ? topic.help : HELP}\n`);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${NAVI_VERSION}\n`);
    return EXIT.ok;
  }
  const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!handler) throw new UsageError(`Unknown command "${command}".`);
  return handler.run(rest);
}

// `navi scan | head`: the reader went away; stop quietly like other command-line tools.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`navi: ${error.message}\nRun "navi --help" for usage.\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`navi: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failure;
  },
);
