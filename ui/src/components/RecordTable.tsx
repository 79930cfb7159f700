import { cell } from '../format.js';

interface Props {
  readonly records: readonly Record<string, unknown>[];
  readonly testId: string;
  /** Columns to show, in order; default: every key of the first record. */
  readonly columns?: readonly string[];
  readonly empty?: string;
}

/** Readings as a table: every value is rendered as text. */
export function RecordTable({ records, testId, columns, empty = 'No readings yet.' }: Props) {
  if (records.length === 0) return <p class="muted" data-testid={testId}>{empty}</p>;
  const keys = columns ?? Object.keys(records[0]!);
  return (
    <div class="table-scroll">
      <table class="records" data-testid={testId}>
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {records.map((r, i) => (
            <tr key={i}>
              {keys.map((k) => (
                <td key={k}>{cell(r[k])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
