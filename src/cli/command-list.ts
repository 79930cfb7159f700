/**
 * The commands `forge` has, each with its one-line summary, in the order help lists them. Only this list and the
 * command a process runs are loaded (program.ts): `forge --help` and `--version` load no command's code.
 */
export const COMMANDS = {
  generate: 'generate a batch of readings into one or more sinks',
  preview: 'print sample readings of a scenario as JSON (one per line)',
  presets: 'list job presets, fleet presets and service areas',
  validate: 'run quality checks on a DuckDB output; exit 1 if any check fails',
  report: 'reports computed from an output',
  stream: 'run a live meter fleet: readings delivered as a head end receives them',
  stop: 'stop a running job: it flushes and closes its sinks and records its final counts',
  jobs: 'list jobs (newest first) with their status and counts',
  verify: "regenerate the expected readings and compare them with what a DuckDB or Postgres sink, or an exchange-format sink's files, hold; exit 1 on any missing, duplicate or differing reading",
  sinks: 'list the sinks: what each writes, whether it takes streams, its flags',
  ddl: 'print the SQL of the medallion model (readings, bronze, silver, gold) for Snowflake, Postgres or DuckDB',
  ingest: "load a stage's new raw files into bronze (exactly once), then refresh silver and gold in a DuckDB pipeline database; --watch keeps doing it",
  fleet: "your own fleet: import a utility's meter inventory into a fleet file (--fleet-file)",
  pipeline: 'the stage -> bronze -> silver -> gold pipeline of forge ingest',
  calibrate: 'fit the load model to a sample of real interval readings and write a calibration profile (use it with --profile)',
  split: "write train/validation/test Parquet sets from a job's output, by meter or by time, without leakage; labels follow their readings",
  serve: 'serve the HTTP API (jobs, presets, health, metrics; OpenAPI docs at /docs)',
} as const;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** The command's line in `forge --help` (and the first line of its own help). */
export const commandSummary = (name: CommandName): string => COMMANDS[name];
