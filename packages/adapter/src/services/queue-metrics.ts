import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';

/** What the publisher needs of CloudWatch: one call, so tests can hold the request it makes. */
export interface MetricSink {
  send(command: PutMetricDataCommand): Promise<unknown>;
}

/** How deep the queue is: jobs waiting for a worker, and jobs a worker is running. */
export interface QueueDepth {
  queued: number;
  running: number;
}

/** The metrics' names, as the jobs service's scaling policies read them. */
export const QUEUE_METRIC_NAMES = { queued: 'QueuedJobs', running: 'RunningJobs' } as const;

/**
 * The PutMetricData request for the queue depth: the jobs service scales out on the jobs waiting
 * (`QueuedJobs`), and in only when nothing waits or runs (`RunningJobs` too).
 */
export function queueDepthMetrics(
  namespace: string,
  application: string,
  depth: QueueDepth,
): PutMetricDataCommandInput {
  return {
    Namespace: namespace,
    MetricData: (Object.keys(QUEUE_METRIC_NAMES) as (keyof QueueDepth)[]).map((key) => ({
      MetricName: QUEUE_METRIC_NAMES[key],
      Dimensions: [{ Name: 'Application', Value: application }],
      Value: depth[key],
      Unit: 'Count',
    })),
  };
}

/**
 * Publishes the numbers of queued and running jobs to CloudWatch every `intervalMs` (a minute
 * by default, the metrics' resolution), so ECS can scale the jobs service on the backlog.
 */
export class QueueMetrics {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly depth: () => Promise<QueueDepth>,
    private readonly namespace: string,
    private readonly application: string,
    private readonly sink: MetricSink = new CloudWatchClient({}),
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async publish(): Promise<QueueDepth> {
    const depth = await this.depth();
    await this.sink.send(
      new PutMetricDataCommand(queueDepthMetrics(this.namespace, this.application, depth)),
    );
    return depth;
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
