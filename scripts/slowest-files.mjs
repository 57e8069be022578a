// A test reporter that prints, after the run, the slowest test files (the sum of their top-level
// tests) and the sum over all files: what to look at first when the CI run nears its 30 minutes.
import { relative } from 'node:path';

export default async function* slowestFiles(source) {
  const files = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      const file = event.data.file ? relative(process.cwd(), event.data.file) : event.data.name;
      files.set(file, (files.get(file) ?? 0) + event.data.details.duration_ms);
    }
  }
  const sorted = [...files].sort((a, b) => b[1] - a[1]);
  const total = sorted.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\nslowest test files (of ${sorted.length}, ${(total / 1000).toFixed(0)} s summed):\n`;
  for (const [file, ms] of sorted.slice(0, 30)) {
    yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file}\n`;
  }
}
