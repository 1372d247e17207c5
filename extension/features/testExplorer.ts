import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestCaseResult, WorkspaceProfile } from '../../protocol/testing';
import type { ProfileController } from './profile';
import {
  IGNORED_TEST_DIRS,
  buildTree,
  describeScope,
  describeTotals,
  failureLocation,
  fileNodeId,
  relativePath,
  selectionToRequest,
  testFilePatterns,
  type TreeNode,
} from './testModel';
import type { TestRunController, TestRunEvent } from './tests';
import type { CommandOutputHub } from './commandOutput';

/** Test files listed per project before any run. */
const MAX_DISCOVERED_FILES = 2000;

/** A NAVI run the Test Explorer shows; its TestRun exists once the tests' process started. */
interface ExplorerRun {
  request: vscode.TestRunRequest;
  name: string;
  persist: boolean;
  /** The items the run covers (everything for a whole run), marked started with the TestRun. */
  scope: () => vscode.TestItem[];
  run?: vscode.TestRun;
  started: vscode.TestItem[];
  cancel?: vscode.Disposable;
}

/**
 * NAVI's tests in VS Code's Test Explorer: a `TestController` ('navi') with one item per test
 * file (found from the profile's projects, then filled from each run's results) → suites → tests,
 * one item per test the runner ran (a repeated title too: its id ends in `::#2`, shown as `#2`).
 * Its run profile re-runs everything, a file or single tests through `navi/test`, and every NAVI
 * test run — from the palette and the panel too — shows up as a TestRun with passed, failed (a
 * message at the failure, with the diff when the runner gives expected and actual) and skipped,
 * each with the runner's duration. The TestRun begins when the tests' process starts, never while
 * the command waits for an approval, so the run's time in the Test Explorer is the tests' time.
 */
export class TestExplorer implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController('navi', 'NAVI');
  /** Every item by id (file:…, suite:…, test ids), for results and selections. */
  private readonly items = new Map<string, vscode.TestItem>();
  private readonly runs = new Map<string, ExplorerRun>();
  private readonly disposables: vscode.Disposable[] = [this.controller];

  constructor(
    private readonly tests: TestRunController,
    private readonly profiles: ProfileController,
    output: CommandOutputHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.controller.createRunProfile(
      'Run with NAVI',
      vscode.TestRunProfileKind.Run,
      (request, token) => this.runHandler(request, token),
      true,
    );
    this.controller.refreshHandler = async () => {
      const profile = await this.profiles.get(true);
      if (profile) await this.discover(profile);
    };
    this.disposables.push(
      tests.onDidStart((e) => this.started(e)),
      tests.onMessage((m) => {
        if (m.kind === 'testProgress' && (m.phase ?? 'running') === 'running') this.begin(m.runId);
      }),
      tests.onDidFinish((e) => this.finished(e)),
      // The runners' own output, live, in the Test Results view.
      output.onOutput((o) => this.runs.get(o.runId)?.run?.appendOutput(crlf(o.chunk))),
      profiles.onDidChange((p) => void this.discover(p)),
    );
  }

  /** Lists the test files of the profile's projects (by ecosystem) as items, before any run. */
  private async discover(profile: WorkspaceProfile): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    for (const project of profile.projects.filter((p) => p.commands.test)) {
      const base = project.path === '.' ? '' : `${project.path.replace(/\/+$/, '')}/`;
      for (const pattern of testFilePatterns(project.ecosystem)) {
        let uris: vscode.Uri[];
        try {
          uris = await vscode.workspace.findFiles(
            new vscode.RelativePattern(folder, `${base}${pattern}`),
            IGNORED_TEST_DIRS,
            MAX_DISCOVERED_FILES,
          );
        } catch (error) {
          this.log.warn(`Listing test files (${pattern}) failed: ${String(error)}`);
          continue;
        }
        for (const uri of uris) this.fileItem(folder.uri.fsPath, uri.fsPath);
      }
    }
  }

  private fileItem(root: string, file: string): vscode.TestItem {
    const id = fileNodeId(root, file);
    let item = this.items.get(id);
    if (!item) {
      item = this.controller.createTestItem(id, relativePath(root, file), vscode.Uri.file(file));
      this.controller.items.add(item);
      this.items.set(id, item);
    }
    return item;
  }

  /**
   * Runs what the Test Explorer asks for. It returns once the run is handed to NAVI: VS Code's own
   * run for the request would count the time the command waits for an approval, so NAVI's TestRun
   * (a request of its own, for the same items) begins with the tests' process instead.
   */
  private runHandler(request: vscode.TestRunRequest, token: vscode.CancellationToken): void {
    if (token.isCancellationRequested) return;
    const include = request.include ?? [];
    let selection = selectionToRequest(include.map((item) => toNode(item)));
    // Excluded items (hidden or filtered out in the Test Explorer): run the rest by name.
    const excluded = new Set((request.exclude ?? []).flatMap(leaves).map((item) => item.id));
    if (excluded.size) {
      const rest = (include.length ? [...include] : [...collection(this.controller.items)])
        .flatMap(leaves)
        .filter((item) => !excluded.has(item.id));
      const files = rest.filter((i) => i.id.startsWith('file:') && i.uri).map((i) => i.uri!.fsPath);
      const testIds = rest.filter((i) => !i.id.startsWith('file:')).map((i) => i.id);
      selection = { ...(files.length ? { files } : {}), ...(testIds.length ? { testIds } : {}) };
      if (!files.length && !testIds.length) return;
    }
    const runId = randomUUID();
    this.runs.set(runId, {
      request: new vscode.TestRunRequest(request.include, request.exclude, request.profile),
      name: `NAVI: ${describeScope(selection)}`,
      persist: true,
      scope: () => (include.length ? [...include] : [...collection(this.controller.items)]),
      started: [],
    });
    // Nothing was sent (Restricted Mode, another run, no folder): forget the run.
    void this.tests.run({ runId, ...selection }).finally(() => this.forget(runId));
  }

  /** A run from the palette or the panel: show it in the Test Explorer too. */
  private started(e: TestRunEvent): void {
    if (this.runs.has(e.runId)) return;
    this.runs.set(e.runId, {
      request: new vscode.TestRunRequest(),
      name: `NAVI: ${describeScope(e.request)}`,
      persist: false,
      scope: () =>
        e.request.files?.length || e.request.testIds?.length ? [] : [...collection(this.controller.items)],
      started: [],
    });
  }

  /** The tests' process started: the TestRun begins now (once per run, at its first step). */
  private begin(runId: string): vscode.TestRun | undefined {
    const entry = this.runs.get(runId);
    if (!entry) return undefined;
    if (entry.run) return entry.run;
    const run = this.controller.createTestRun(entry.request, entry.name, entry.persist);
    entry.run = run;
    entry.started = entry.scope();
    for (const item of entry.started) markStarted(run, item);
    // Cancel in the Test Explorer (or the Test Results view) stops NAVI's run.
    entry.cancel = run.token.onCancellationRequested(() => this.tests.cancel(runId));
    return run;
  }

  /** A run that ended without a result (nothing ran, or it failed): end its TestRun, if any. */
  private forget(runId: string): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    this.runs.delete(runId);
    entry.cancel?.dispose();
    entry.run?.end();
  }

  private finished(e: TestRunEvent): void {
    const entry = this.runs.get(e.runId);
    if (!entry) return;
    // A run whose process never started (denied, no command) still shows why its tests did not run.
    const failedToStart = e.result?.steps.some((s) => s.status === 'error' || s.status === 'denied');
    const run = entry.run ?? (failedToStart ? this.begin(e.runId) : undefined);
    this.runs.delete(e.runId);
    entry.cancel?.dispose();
    if (!run) return;
    const { started } = entry;
    const reported = new Set<string>();
    if (e.result) {
      const whole = !e.request.files?.length && !e.request.testIds?.length;
      this.merge(buildTree(e.result.tests, e.root), whole);
      for (const t of e.result.tests) {
        const item = this.items.get(t.id);
        if (!item) continue;
        reported.add(t.id);
        this.report(run, item, t);
      }
      for (const step of e.result.steps) {
        if (step.status === 'passed') continue;
        run.appendOutput(crlf(`${step.original}: ${step.message}\n${step.tail ? `${step.tail}\n` : ''}`));
      }
      const stepError = e.result.steps.find((s) => s.status === 'error' || s.status === 'denied');
      for (const leaf of started.flatMap(leaves)) {
        if (reported.has(leaf.id)) continue;
        if (stepError) run.errored(leaf, new vscode.TestMessage(stepError.message));
        else run.skipped(leaf);
      }
      // The runner's own counts and the tests' time (from their process start), as the panel says.
      run.appendOutput(crlf(`\nNAVI: ${describeTotals(e.result.totals)}\n`));
    } else {
      for (const leaf of started.flatMap(leaves)) run.skipped(leaf);
    }
    run.end();
  }

  private report(run: vscode.TestRun, item: vscode.TestItem, t: TestCaseResult): void {
    switch (t.status) {
      case 'passed':
        run.passed(item, t.durationMs);
        return;
      case 'skipped':
      case 'todo':
        run.skipped(item);
        return;
      case 'failed':
        run.failed(item, failureMessage(t), t.durationMs);
        return;
    }
  }

  /**
   * Adds the tree's nodes as items (updating labels and places). A run of the whole suite also
   * removes tests it no longer has from the files it reported.
   */
  private merge(nodes: TreeNode[], whole: boolean): void {
    const place = (node: TreeNode, parent: vscode.TestItemCollection): vscode.TestItem => {
      let item = parent.get(node.id);
      if (!item) {
        item = this.controller.createTestItem(
          node.id,
          node.label,
          node.file ? vscode.Uri.file(node.file) : undefined,
        );
        parent.add(item);
      }
      this.items.set(node.id, item);
      if (node.description !== undefined) item.description = node.description;
      if (node.kind === 'test' && node.line)
        item.range = new vscode.Range(node.line - 1, 0, node.line - 1, 0);
      if (whole) {
        for (const child of [...collection(item.children)])
          if (!node.children.some((c) => c.id === child.id)) this.remove(item.children, child);
      }
      for (const child of node.children) place(child, item.children);
      return item;
    };
    for (const node of nodes) place(node, this.controller.items);
  }

  private remove(parent: vscode.TestItemCollection, item: vscode.TestItem): void {
    for (const leaf of [item, ...collectAll(item)]) this.items.delete(leaf.id);
    parent.delete(item.id);
  }

  dispose(): void {
    for (const { run, cancel } of this.runs.values()) {
      cancel?.dispose();
      run?.end();
    }
    this.runs.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** The failure as a TestMessage: at the failing line, a diff when expected/actual are known, the stack. */
function failureMessage(t: TestCaseResult): vscode.TestMessage {
  const f = t.failure;
  const text = f?.message || 'Failed.';
  const message =
    f?.expected !== undefined && f.actual !== undefined
      ? vscode.TestMessage.diff(text, f.expected, f.actual)
      : new vscode.TestMessage(text);
  const where = failureLocation(t);
  if (where)
    message.location = new vscode.Location(
      vscode.Uri.file(where.file),
      new vscode.Position(where.line - 1, Math.max(0, (where.column ?? 1) - 1)),
    );
  if (f?.stack.length)
    message.stackTrace = f.stack.map(
      (frame) =>
        new vscode.TestMessageStackFrame(
          frame.function ?? path.basename(frame.file),
          vscode.Uri.file(frame.file),
          new vscode.Position(frame.line - 1, Math.max(0, (frame.column ?? 1) - 1)),
        ),
    );
  return message;
}

/** The model node for a Test Explorer item (kind from its id; the file from its URI). */
function toNode(item: vscode.TestItem): TreeNode {
  const kind = item.id.startsWith('file:') ? 'file' : item.id.startsWith('suite:') ? 'suite' : 'test';
  return {
    id: item.id,
    kind,
    label: item.label,
    ...(item.uri ? { file: item.uri.fsPath } : {}),
    children: [...collection(item.children)].map(toNode),
  };
}

function* collection(items: vscode.TestItemCollection): Generator<vscode.TestItem> {
  const list: vscode.TestItem[] = [];
  items.forEach((item) => list.push(item));
  yield* list;
}

function collectAll(item: vscode.TestItem): vscode.TestItem[] {
  return [...collection(item.children)].flatMap((c) => [c, ...collectAll(c)]);
}

/** The tests under an item (itself for a test; a file not yet run counts as one). */
function leaves(item: vscode.TestItem): vscode.TestItem[] {
  const children = [...collection(item.children)];
  return children.length ? children.flatMap(leaves) : [item];
}

function markStarted(run: vscode.TestRun, item: vscode.TestItem): void {
  for (const leaf of leaves(item)) run.started(leaf);
}

/** Test output is a terminal: lines end in CRLF. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
