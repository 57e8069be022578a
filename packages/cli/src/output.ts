import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** What a command prints: lines for people, or one JSON document (or JSON lines) with `--json`. */
export class Output {
  readonly json: boolean;
  constructor({ json }: { json: boolean }) {
    this.json = json;
  }

  /** The result: `data` as JSON, or `text` for people. */
  result(data: unknown, text: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${text()}\n`);
  }

  /** Progress news: a JSON line with `--json`, a line on stderr otherwise. */
  event(data: Record<string, unknown>, text: string): void {
    if (this.json) process.stdout.write(`${JSON.stringify(data)}\n`);
    else process.stderr.write(`${text}\n`);
  }

  /** Progress bars on stderr in a terminal; nothing elsewhere (and never with `--json`). */
  bars(): Bars {
    return new Bars({ enabled: !this.json && Boolean(process.stderr.isTTY) });
  }
}

export class Bars {
  private readonly multi: MultiBar | undefined;
  constructor({ enabled }: { enabled: boolean }) {
    this.multi = enabled
      ? new MultiBar(
          {
            format: '{bar} {percentage}% {name} {detail}',
            hideCursor: true,
            clearOnComplete: false,
            stopOnComplete: false,
          },
          Presets.shades_classic,
        )
      : undefined;
  }
  add(total: number, name: string): SingleBar | undefined {
    return this.multi?.create(total, 0, { name, detail: '' });
  }
  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  }
  stop(): void {
    this.multi?.stop();
  }
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
