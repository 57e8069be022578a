/** Logical shell commands: backslash-continued lines joined, comments and blanks dropped. */
export function commands(block: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    if (!pending && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    pending += `${line}\n`;
    if (!line.endsWith('\\')) {
      out.push(pending.trimEnd());
      pending = '';
    }
  }
  return out;
}
