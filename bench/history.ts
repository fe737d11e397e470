/**
 * Shared by the benchmark scripts: the report being replaced is kept below the new one as "## History" —
 * the previous run (its headings demoted, titled with its date and the --note of this run), then the
 * older history it carried.
 */
export function historyOf(previous: string, note: string | undefined): string[] {
  const [current, older] = previous.split(/\n## History\n/);
  const body = current.trim().split('\n');
  const date = /Node v[\d.]+, (\d{4}-\d{2}-\d{2})/.exec(current)?.[1] ?? 'an earlier date';
  const demoted = body.filter((l) => !l.startsWith('# ')).map((l) => (l.startsWith('## ') ? `#${l}` : l));
  return [
    '',
    '## History',
    '',
    `### Run of ${date} (before: ${note ?? 'the run above'})`,
    ...demoted,
    ...(older ? ['', ...older.trim().split('\n')] : []),
  ];
}
