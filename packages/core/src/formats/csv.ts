/**
 * Comma-separated values as RFC 4180 defines them (https://www.rfc-editor.org/rfc/rfc4180):
 * records end with CRLF, fields holding a comma, a double quote or a line break are enclosed in
 * double quotes, and a double quote inside such a field is doubled. The reader also takes bare
 * LF line ends, which spreadsheets on some systems write.
 */

export class CsvError extends Error {
  constructor(
    message: string,
    /** 1-based line of the file where the problem is. */
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Cells that a spreadsheet would run as a formula (OWASP "CSV injection": = + - @, and tab or
 * carriage return) get a leading apostrophe, which spreadsheets show as text. A cell that
 * already starts with an apostrophe gets one too, so that the reader can strip exactly one.
 */
const FORMULA_START = /^['=+\-@\t\r]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Undoes the writer's formula guard: one leading apostrophe before a guarded character. */
export function unguardCell(text: string): string {
  return /^'['=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

export interface CsvRow {
  /** 1-based line of the file on which the record starts. */
  line: number;
  cells: string[];
}

/** Splits CSV text into records of raw cells; throws CsvError on an unclosed or misplaced quote. */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark, as Excel writes
  let line = 1;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          if (i >= text.length) throw new CsvError('a quoted cell is never closed', opened);
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
          throw new CsvError('a quoted cell must end at a comma or the end of the line', line);
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"')
            throw new CsvError('a double quote inside an unquoted cell (enclose the cell in quotes)', line);
          cell += text[i];
          i++;
        }
      }
      cells.push(cell);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    // Blank lines (a single empty cell) carry no record.
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: start, cells });
  }
  return rows;
}
