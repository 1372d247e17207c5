/**
 * The ids of every NAVI command. Kept apart from the handlers so activation can register them
 * without loading the rest of the extension; `commandTable` is typed by this list, and a test
 * checks it against `contributes.commands`.
 */
export const COMMAND_IDS = [
  'navi.scanRepository',
  'navi.runCommand',
  'navi.exportAudit',
  'navi.showLog',
  'navi.restartAgent',
  'navi.signIn',
  'navi.signOut',
  'navi.runTests',
  'navi.startApp',
  'navi.stopApp',
  'navi.openApp',
  'navi.editProfile',
  'navi.fixProblems',
  'navi.setModelApiKey',
  'navi.showApprovals',
] as const;
export type CommandId = (typeof COMMAND_IDS)[number];
