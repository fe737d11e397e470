/**
 * Simulation state files: `switchyard --simulate` saves the simulated world, the deployment store and
 * the virtual time after each command, so `deploy`, then `status`, then `rollback` compose offline.
 * Default location: `.switchyard-sim/state.json` under the working directory (git-ignored).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseTopology, type ServiceTopology } from '../../../topology';
import { FakeClock } from './clock';
import type { Fault } from './faults';
import { createSimulation, restoreStore, type SimSnapshot, type Simulation } from './index';

export const DEFAULT_SIM_STATE = join('.switchyard-sim', 'state.json');
const MAX_IDLE_ADVANCE_MS = 3_600_000;

interface StateFile {
  readonly format: 'switchyard-sim';
  readonly version: 1;
  readonly topologies: ServiceTopology[];
  readonly snapshot: SimSnapshot;
  /** Wall-clock time of the save: a resumed world advances by the real time since (at most 1 h). */
  readonly savedAtWallMs?: number;
}

export interface OpenSimulationOptions {
  /** State file path; undefined = in memory only. */
  readonly path?: string;
  /** Ignore an existing state file and start a fresh world. @default false */
  readonly reset?: boolean;
  readonly faults?: readonly Fault[];
  /** @default 1 */
  readonly seed?: number;
  /** Advance virtual time by the real time elapsed since the save (leases expire, like in life). @default true */
  readonly followWallClock?: boolean;
  /** Wall clock (tests). @default Date.now */
  readonly wallNow?: () => number;
  /** Virtual ms per real ms (FakeClock `pace`): rehearsals a person or a real signal can interrupt. @default unpaced */
  readonly pace?: number;
}

/** Opens (resumes or creates) a simulation; `save()` writes it back atomically. */
export async function openSimulation(
  opts: OpenSimulationOptions,
): Promise<{ sim: Simulation; save: () => Promise<void> }> {
  let state: StateFile | undefined;
  if (opts.path && !opts.reset) {
    try {
      const parsed = JSON.parse(await readFile(opts.path, 'utf8')) as StateFile;
      if (parsed.format !== 'switchyard-sim' || parsed.version !== 1) {
        throw new Error(
          `${opts.path} is not a switchyard simulation state file (delete it or pass --sim-reset)`,
        );
      }
      state = parsed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `cannot read simulation state ${opts.path}: ${(e as Error).message}; delete it or pass --sim-reset`,
        );
      }
    }
  }
  const topologies = (state?.topologies ?? []).map((t, i) =>
    parseTopology(t, `${opts.path}#topologies[${i}]`),
  );
  const wallNow = opts.wallNow ?? Date.now;
  let clock: FakeClock | undefined;
  if (state && opts.followWallClock !== false && state.savedAtWallMs !== undefined) {
    const passed = Math.min(MAX_IDLE_ADVANCE_MS, Math.max(0, wallNow() - state.savedAtWallMs));
    clock = new FakeClock(state.snapshot.now + passed, opts.pace);
  } else if (opts.pace !== undefined) {
    clock = new FakeClock(state?.snapshot.now, opts.pace);
  }
  const sim = createSimulation({
    topologies,
    faults: opts.faults,
    seed: opts.seed,
    snapshot: state?.snapshot,
    clock,
  });
  if (state) await restoreStore(sim, state.snapshot);
  const save = async () => {
    if (!opts.path) return;
    const file: StateFile = {
      format: 'switchyard-sim',
      version: 1,
      topologies: [...sim.topologies],
      snapshot: await sim.snapshot(),
      savedAtWallMs: wallNow(),
    };
    await mkdir(dirname(opts.path), { recursive: true });
    const tmp = `${opts.path}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(file)}\n`);
    await rename(tmp, opts.path);
  };
  return { sim, save };
}
