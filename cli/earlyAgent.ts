// Imported first by cli/navi.ts, so it runs before the other modules of the bundle are evaluated:
// the agent starts loading while the CLI does (cli/agentProcess.ts).
import { startAgentEarly } from './agentProcess';

startAgentEarly(process.argv.slice(2));
