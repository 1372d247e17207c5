import * as z from 'zod';
import { MetricsResult } from './metrics';

/**
 * The panel's Metrics card: messages between the extension host and the sidebar panel about the
 * KPIs of the audit log (`navi/metrics`). Validated on receipt on both sides like the rest of the
 * panel's messages and handled with an exhaustive switch on `kind`; both sides parse them beside
 * HostMessage / PanelMessage (webviewMessages.ts).
 */

/** Host → panel. */
export const MetricsHostMessage = z.discriminatedUnion('kind', [
  /** The host asked the agent for the numbers (the panel shows "Loading…" until they come). */
  z.object({ kind: z.literal('metricsLoading') }),
  /** The numbers, computed by the agent from the verified audit log. */
  z.object({ kind: z.literal('metrics'), metrics: MetricsResult }),
  /** `navi/metrics` failed; `message` says why (for people). */
  z.object({ kind: z.literal('metricsFailed'), message: z.string().max(2000) }),
]);
export type MetricsHostMessage = z.infer<typeof MetricsHostMessage>;

/** Panel → host. */
export const MetricsPanelMessage = z.discriminatedUnion('kind', [
  /** The person opened the Metrics card or pressed Refresh. */
  z.object({ kind: z.literal('loadMetrics') }),
]);
export type MetricsPanelMessage = z.infer<typeof MetricsPanelMessage>;
