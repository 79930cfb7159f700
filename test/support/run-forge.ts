import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface ForgeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the forge CLI from source, as a user would from a shell, in the given working directory. */
export function runForge(args: readonly string[], cwd: string): ForgeRun {
  const result = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
