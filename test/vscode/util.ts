// Helpers shared by the in-host suites.
import * as vscode from 'vscode';
import type { NaviApi } from '../../extension/extension';

export const EXTENSION_ID = 'navi-dev.navi';

export function naviExtension(): vscode.Extension<NaviApi> {
  const extension = vscode.extensions.getExtension<NaviApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return extension;
}

/** Activates NAVI (a no-op when it already is) and returns its API. */
export async function naviApi(): Promise<NaviApi> {
  return naviExtension().activate();
}

/** The single workspace folder the runner opened (the fixture repository). */
export function workspaceFolder(): vscode.WorkspaceFolder {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length !== 1) throw new Error(`expected one workspace folder, got ${folders.length}`);
  return folders[0]!;
}

/**
 * Resolves with the first event value for which `accept` resolves true; rejects after `timeoutMs`
 * with `describe()` in the message. Listens from the moment it is called, so subscribe before
 * causing the event.
 */
export function waitForEvent<T>(
  event: vscode.Event<T>,
  accept: (value: T) => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      subscription.dispose();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`))),
      timeoutMs,
    );
    const subscription = event((value) => {
      Promise.resolve(accept(value)).then(
        (ok) => ok && finish(() => resolve(value)),
        (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
      );
    });
  });
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
