// navi/modelChat against VS Code's real Language Model API: the models come from a test extension
// (test/vscode/lm-provider, loaded by test/e2e/lib/inHost.mjs as a second development extension)
// that registers them with vscode.lm.registerLanguageModelChatProvider, as Copilot Chat does.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { answerModelChat } from '../../extension/features/fix/modelChat';
import { ErrorCodes } from '../../protocol/errors';
import { ModelChatResult, type ModelChatParams } from '../../protocol/fix';

const PROVIDER_EXTENSION = 'navi-dev.navi-test-lm';

interface SeenRequest {
  model: string;
  messages: { role: 'user' | 'assistant'; text: string }[];
}

function params(over: Partial<ModelChatParams> = {}): ModelChatParams {
  return {
    model: 'navi-test-echo',
    system: 'You fix TypeScript errors.',
    messages: [{ role: 'user', content: "Fix: Cannot find name 'add'." }],
    maxTokens: 1000,
    ...over,
  };
}

/** The ResponseError `answerModelChat` rejects with. */
async function failure(
  p: unknown,
  token = new vscode.CancellationTokenSource().token,
): Promise<ResponseError<unknown>> {
  try {
    await answerModelChat(p, token, log);
  } catch (error) {
    assert.ok(error instanceof ResponseError, `a ResponseError, not ${String(error)}`);
    return error;
  }
  assert.fail('navi/modelChat answered instead of failing');
}

const reason = (e: ResponseError<unknown>) =>
  (e.data as { reason?: string; hint?: string } | undefined)?.reason;
const hint = (e: ResponseError<unknown>) => (e.data as { hint?: string } | undefined)?.hint ?? '';

let log: vscode.LogOutputChannel;

describe('navi/modelChat through vscode.lm', function () {
  this.timeout(60_000);
  let seen: SeenRequest[];

  before(async () => {
    log = vscode.window.createOutputChannel('NAVI modelChat test', { log: true });
    const provider = vscode.extensions.getExtension<{ requests: SeenRequest[] }>(PROVIDER_EXTENSION);
    assert.ok(provider, `${PROVIDER_EXTENSION} is loaded (a second extensionDevelopmentPath)`);
    seen = (await provider.activate()).requests;
    await vscode.workspace
      .getConfiguration('navi')
      .update('model.provider', 'vscode-lm', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('navi')
      .update('model.provider', undefined, vscode.ConfigurationTarget.Global);
    log.dispose();
  });

  it('sees the test extension’s models through vscode.lm.selectChatModels', async () => {
    const models = await vscode.lm.selectChatModels({ vendor: 'navi-test' });
    assert.deepEqual(models.map((m) => m.id).sort(), [
      'navi-test-echo',
      'navi-test-endless',
      'navi-test-failing',
      'navi-test-tiny',
    ]);
  });

  it('sends the turn to the model, streams the answer into one text and counts tokens both ways', async () => {
    const before = seen.length;
    const result = ModelChatResult.parse(
      await answerModelChat(params(), new vscode.CancellationTokenSource().token, log),
    );
    assert.equal(result.model, 'navi-test-echo');
    // The system text leads the first user message (the stable API has no system role).
    const expected = "You fix TypeScript errors.\n\nFix: Cannot find name 'add'.";
    assert.equal(result.text, `echo 1: ${expected}`);
    assert.deepEqual(seen.slice(before), [
      { model: 'navi-test-echo', messages: [{ role: 'user', text: expected }] },
    ]);
    // The provider counts words: 9 in, 11 out ("echo 1:" and the 9).
    assert.equal(result.inputTokens, 9);
    assert.equal(result.outputTokens, 11);
  });

  it('keeps the roles of a longer conversation and picks a model by family', async () => {
    const before = seen.length;
    const result = await answerModelChat(
      params({
        model: 'navi-echo',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'a fix' },
          { role: 'user', content: 'it did not verify' },
        ],
      }),
      new vscode.CancellationTokenSource().token,
      log,
    );
    assert.equal(result.model, 'navi-test-echo');
    assert.equal(result.text, 'echo 3: it did not verify');
    assert.deepEqual(
      seen[before]?.messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
  });

  it('says which models there are when the one asked for does not exist', async () => {
    const e = await failure(params({ model: 'no-such-model' }));
    assert.equal(e.code, ErrorCodes.ModelUnavailable);
    assert.equal(reason(e), 'no-model');
    assert.match(e.message, /no language model "no-such-model"/);
    assert.match(hint(e), /navi-test-echo/);
  });

  it('refuses a prompt longer than the model takes, before sending it', async () => {
    const before = seen.length;
    const e = await failure(params({ model: 'navi-test-tiny' }));
    assert.equal(reason(e), 'too-long');
    assert.match(e.message, /9 tokens; NAVI Test Tiny takes at most 5/);
    assert.equal(seen.length, before, 'nothing was sent');
  });

  it('turns a model failure into a clear error', async () => {
    const e = await failure(params({ model: 'navi-test-failing' }));
    assert.equal(reason(e), 'failed');
    assert.match(e.message, /NAVI Test Failing failed: .*on purpose/);
  });

  it('stops the model when the agent cancels ($/cancelRequest)', async () => {
    const cancel = new vscode.CancellationTokenSource();
    const before = seen.length;
    const pending = failure(params({ model: 'navi-test-endless' }), cancel.token);
    // Cancel once the model has started streaming.
    for (let i = 0; i < 500 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(seen.length, before + 1, 'the request reached the model');
    cancel.cancel();
    const e = await pending;
    assert.equal(e.code, ErrorCodes.RequestCancelled);
  });

  it('rejects params that do not fit the schema', async () => {
    const e = await failure({ ...params(), messages: [] });
    assert.equal(e.code, ErrorCodes.InvalidParams);
  });

  it('asks no model unless the person chose vscode-lm in navi.model.provider', async () => {
    await vscode.workspace
      .getConfiguration('navi')
      .update('model.provider', 'none', vscode.ConfigurationTarget.Global);
    try {
      const before = seen.length;
      const e = await failure(params());
      assert.equal(reason(e), 'not-configured');
      assert.equal(seen.length, before);
    } finally {
      await vscode.workspace
        .getConfiguration('navi')
        .update('model.provider', 'vscode-lm', vscode.ConfigurationTarget.Global);
    }
  });
});
