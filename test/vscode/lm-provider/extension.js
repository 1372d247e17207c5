// A language model provider for the in-host suites (test/vscode/modelChat.test.ts): registered with
// vscode.lm.registerLanguageModelChatProvider (finalized in VS Code 1.104), so NAVI's navi/modelChat
// handler talks to the real Language Model API, the way it talks to Copilot's models. Plain
// JavaScript: @types/vscode stays at NAVI's engine (1.99), which has no provider API.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vscode = require('vscode');

const VENDOR = 'navi-test';

/** The models: an echo, one with a tiny context, one that fails, one that streams until stopped. */
const MODELS = [
  { id: 'navi-test-echo', name: 'NAVI Test Echo', family: 'navi-echo', maxInputTokens: 100_000 },
  { id: 'navi-test-tiny', name: 'NAVI Test Tiny', family: 'navi-tiny', maxInputTokens: 5 },
  { id: 'navi-test-failing', name: 'NAVI Test Failing', family: 'navi-failing', maxInputTokens: 100_000 },
  { id: 'navi-test-endless', name: 'NAVI Test Endless', family: 'navi-endless', maxInputTokens: 100_000 },
].map((m) => ({ ...m, version: '1', maxOutputTokens: 4096, capabilities: {} }));

/** Every request a model received: `{ model, messages: [{ role, text }], justification? }`. */
const requests = [];

function textOf(message) {
  if (typeof message === 'string') return message;
  return message.content
    .filter((part) => part instanceof vscode.LanguageModelTextPart)
    .map((part) => part.value)
    .join('');
}

/** Words, as this provider's tokens. */
function countTokens(text) {
  return text.split(/\s+/).filter(Boolean).length;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

function activate(context) {
  context.subscriptions.push(
    vscode.lm.registerLanguageModelChatProvider(VENDOR, {
      provideLanguageModelChatInformation: () => MODELS,
      async provideLanguageModelChatResponse(model, messages, options, progress, token) {
        const seen = messages.map((m) => ({
          role: m.role === vscode.LanguageModelChatMessageRole.User ? 'user' : 'assistant',
          text: textOf(m),
        }));
        requests.push({ model: model.id, messages: seen });
        if (model.id === 'navi-test-failing') throw new Error('the test model fails on purpose');
        if (model.id === 'navi-test-endless') {
          while (!token.isCancellationRequested) {
            progress.report(new vscode.LanguageModelTextPart('more '));
            await tick();
          }
          return;
        }
        // The echo: the number of messages and the last one, streamed in three parts.
        const answer = `echo ${seen.length}: ${seen[seen.length - 1].text}`;
        const third = Math.ceil(answer.length / 3);
        for (let i = 0; i < answer.length; i += third) {
          progress.report(new vscode.LanguageModelTextPart(answer.slice(i, i + third)));
          await tick();
        }
      },
      provideTokenCount: (_model, text) => countTokens(textOf(text)),
    }),
  );
  return { requests };
}

module.exports = { activate };
