// One UI session: a fixture repository, a code-server with the packaged NAVI installed, and a
// Chromium page with the workbench open on the fixture.
import { makeInstanceDirs, startCodeServer } from './codeServer.mjs';
import { createFixtureRepo } from './fixture.mjs';
import { harness, newRunFolder } from './harness.mjs';
import { launchBrowser, newPage, openWorkbench, reportFailure } from './workbench.mjs';

export class Session {
  /**
   * @param {string} name  used for the run folders
   * @param {{ settings?: object }} [options]  user settings over the quiet defaults
   */
  constructor(name, options = {}) {
    this.name = name;
    this.options = options;
    /** @type {{dir: string, secret: string, files: string[]} | undefined} */
    this.fixture = undefined;
    this.server = undefined;
    this.browser = undefined;
    /** @type {import('playwright-core').Page | undefined} */
    this.page = undefined;
  }

  /** Opens everything; on failure what was opened stays on `this` for close() and diagnostics. */
  async open() {
    const h = harness();
    this.fixture = createFixtureRepo(newRunFolder(`${this.name}-fixture`));
    this.server = await startCodeServer({
      tools: h.tools,
      root: newRunFolder(`${this.name}-code-server`),
      extensionsDir: h.extensionsDir,
      settings: this.options.settings,
    });
    this.browser = await launchBrowser({
      chromiumPath: h.tools.chromium,
      dirs: makeInstanceDirs(newRunFolder(`${this.name}-chromium`)),
    });
    this.page = await newPage(this.browser);
    await openWorkbench(this.page, this.server, this.fixture.dir);
    return this;
  }

  async close() {
    await this.browser?.close().catch(() => {});
    await this.server?.stop();
  }
}

/**
 * Registers the mocha hooks every UI suite needs: open a Session before the suite (with a failure
 * report if the workbench does not come up), a failure report after each failed test, and close.
 * Returns a getter for the session.
 * @param {string} name
 * @param {ConstructorParameters<typeof Session>[1]} [options]
 * @returns {() => Session}
 */
export function useSession(name, options) {
  /** @type {Session | undefined} */
  let session;
  before(async function () {
    this.timeout(180_000);
    session = new Session(name, options);
    try {
      await session.open();
    } catch (err) {
      await reportFailure(this.test, session.page, session.server);
      throw err;
    }
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await reportFailure(this.currentTest, session?.page, session?.server);
  });
  after(async () => {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error(`the ${name} session did not open`);
    return session;
  };
}
