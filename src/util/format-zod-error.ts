/** Turns validation issues into one line per field: "meters: Too big: expected number to be <=1000000". */
export interface ValidationIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

export function formatIssues(issues: readonly ValidationIssue[], prefix = ''): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
        return `${where ? `${where}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
