import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';

/** What the publisher needs of CloudWatch: one call, so tests can hold the request it makes. */
export interface MetricSink {
  send(command: PutMetricDataCommand): Promise<unknown>;
}

/** The PutMetricData request for the queue depth the jobs service scales on. */
export function pendingJobsMetric(
  namespace: string,
  application: string,
  pending: number,
): PutMetricDataCommandInput {
  return {
    Namespace: namespace,
    MetricData: [
      {
        MetricName: 'PendingJobs',
        Dimensions: [{ Name: 'Application', Value: application }],
        Value: pending,
        Unit: 'Count',
      },
    ],
  };
}

/**
 * Publishes the number of queued and running jobs to CloudWatch every `intervalMs` (a minute
 * by default, the metric's resolution), so ECS can scale the jobs service on the backlog.
 */
export class QueueMetrics {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly countPending: () => Promise<number>,
    private readonly namespace: string,
    private readonly application: string,
    private readonly sink: MetricSink = new CloudWatchClient({}),
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async publish(): Promise<number> {
    const pending = await this.countPending();
    await this.sink.send(
      new PutMetricDataCommand(pendingJobsMetric(this.namespace, this.application, pending)),
    );
    return pending;
  }

  start(intervalMs = 60_000): void {
    const tick = () => void this.publish().catch(this.onError);
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
