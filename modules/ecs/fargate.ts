/** Valid Fargate task sizes: cpu units → allowed memory (MiB). */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Undefined when (cpu, memory) is a valid Fargate size, otherwise what is wrong. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const memories = FARGATE_SIZES.get(cpu);
  if (!memories)
    return `cpu ${cpu} is not a Fargate size (use one of ${[...FARGATE_SIZES.keys()].join(', ')})`;
  if (!memories.includes(memory)) {
    return `memory ${memory} is not valid with cpu ${cpu} (use ${memories[0]}–${memories[memories.length - 1]} MiB in the allowed steps)`;
  }
  return undefined;
}
