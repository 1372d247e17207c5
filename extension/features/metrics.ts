import * as vscode from 'vscode';
import { MetricsResult } from '../../protocol/metrics';
import type { MetricsHostMessage, MetricsPanelMessage } from '../../protocol/metricsMessages';
import { metrics } from '../../protocol/requests';
import type { Agent } from '../client';

/**
 * The panel's Metrics card: asks the agent for the KPIs of its audit log (`navi/metrics`) when the
 * panel asks, and posts them. The numbers come from the agent, never from the panel's memory.
 */
export class MetricsFeature implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<MetricsHostMessage>();
  readonly onMessage = this.emitter.event;
  private last: MetricsHostMessage | undefined;

  constructor(
    private readonly agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The last numbers, for a panel that says `ready` again. */
  replay(): MetricsHostMessage[] {
    return this.last ? [this.last] : [];
  }

  async receive(message: MetricsPanelMessage): Promise<void> {
    switch (message.kind) {
      case 'loadMetrics':
        return this.refresh();
      default: {
        const unreachable: never = message.kind;
        return unreachable;
      }
    }
  }

  async refresh(): Promise<void> {
    this.post({ kind: 'metricsLoading' });
    try {
      const client = await this.agent.ready();
      const result = MetricsResult.parse(await client.sendRequest(metrics.type, {}));
      this.post({ kind: 'metrics', metrics: result });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.log.warn(`Could not compute the metrics: ${text}`);
      this.post({ kind: 'metricsFailed', message: `NAVI could not read its audit trail: ${text}` });
    }
  }

  private post(message: MetricsHostMessage): void {
    if (message.kind !== 'metricsLoading') this.last = message;
    this.emitter.fire(message);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
