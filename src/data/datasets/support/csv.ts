/**
 * Reading the small metadata tables some datasets ship (BUS-BRA folds, BrEaST clinical data,
 * TN-SCUI classes): RFC 4180 CSV with quoted fields, doubled quotes, CRLF and a UTF-8 BOM.
 */
import { readFile } from 'node:fs/promises';

/** Rows of fields; a quoted field may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    // A blank line is not a record.
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === delimiter) {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      field += ch;
    }
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * The records of a CSV file with a header row, as objects keyed by the (trimmed) column names.
 * Throws, naming the file, when it cannot be read or lacks one of `requiredColumns`.
 */
export async function readCsvRecords(path: string, requiredColumns: string[] = [], delimiter = ','): Promise<Record<string, string>[]> {
  let rows: string[][];
  try {
    rows = parseCsv(await readFile(path, 'utf8'), delimiter);
  } catch (error) {
    throw new Error(`${path}: cannot read CSV: ${(error as Error).message}`);
  }
  if (rows.length === 0) throw new Error(`${path}: CSV file is empty`);
  const header = rows[0].map((name) => name.trim());
  const missing = requiredColumns.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(`${path}: CSV lacks column(s) ${missing.join(', ')} (has ${header.join(', ')})`);
  }
  return rows.slice(1).map((fields) => Object.fromEntries(header.map((name, k) => [name, (fields[k] ?? '').trim()])));
}
