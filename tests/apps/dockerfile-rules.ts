/**
 * A small Dockerfile parser and the rules the service image must follow, each a pure function from the
 * Dockerfile text (and .dockerignore) to a list of violations. dockerfile.test.ts runs them on the real
 * files and on mutated copies that must fail. There is no Docker engine here: the structure is the test.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly alias?: string;
  readonly index: number;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    const start = i;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i += 1;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue; // comments inside a continued instruction are dropped by Docker
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Array<{ from: string; alias?: string; index: number; instructions: Instruction[] }> = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const alias = parts.length >= 3 && parts[1]!.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ from: parts[0]!, alias, index: stages.length, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

const DIGEST_PINNED = /^[a-z0-9./-]+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/;
const SECRETISH = /pass(word)?|secret|token|credential|api[-_]?key|private[-_]?key|access[-_]?key|aws_/i;

/** Every external base image is pinned by digest, and every stage uses the same base. */
export function pinnedBase(text: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(parseDockerfile(text));
  const aliases = new Set(stages.map((s) => s.alias).filter(Boolean));
  const bases = new Set<string>();
  for (const s of stages) {
    if (aliases.has(s.from)) continue;
    if (!DIGEST_PINNED.test(s.from))
      problems.push(`stage ${s.alias ?? s.index}: FROM ${s.from} is not pinned by @sha256 digest`);
    bases.add(s.from);
  }
  if (bases.size > 1) problems.push(`stages use ${bases.size} different base images; use one pinned base`);
  return problems;
}

/** At least two stages, and the final stage takes its node_modules from a production-only install. */
export function multiStageProductionDeps(text: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(parseDockerfile(text));
  if (stages.length < 2) return [`${stages.length} stage(s): build and runtime must be separate stages`];
  const final = stages.at(-1)!;
  const copies = final.instructions.filter((i) => i.keyword === 'COPY');
  if (copies.some((c) => /^(\S+\s+)*\.\s+\.$/.test(c.args) || /\s\.\s+\.\/?$/.test(` ${c.args}`))) {
    problems.push('the final stage copies the whole build context');
  }
  const nm = copies.find((c) => /--from=(\S+)\s+\S*node_modules/.test(c.args));
  if (!nm) {
    problems.push('the final stage does not copy node_modules from another stage');
  } else {
    const from = /--from=(\S+)/.exec(nm.args)![1];
    const source = stages.find((s) => s.alias === from);
    const installs =
      source?.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)) ?? [];
    if (installs.length === 0 || !installs.every((i) => /--omit=dev\b/.test(i.args))) {
      problems.push(
        `node_modules come from stage ${from}, which does not install with npm ci --omit=dev only`,
      );
    }
  }
  for (const s of stages) {
    for (const i of s.instructions) {
      if (i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args)) {
        problems.push(`line ${i.line}: npm install; use npm ci (the lock file decides)`);
      }
    }
  }
  return problems;
}

/** The final stage runs as a non-root user, set explicitly (numeric uid ≥ 1000). */
export function nonRootUser(text: string): string[] {
  const final = stagesOf(parseDockerfile(text)).at(-1);
  const users = final?.instructions.filter((i) => i.keyword === 'USER') ?? [];
  const last = users.at(-1);
  if (!last) return ['the final stage sets no USER (it would run as root)'];
  const [user] = last.args.split(':');
  if (!/^\d+$/.test(user!))
    return [`line ${last.line}: USER ${last.args} is not numeric (a runtime cannot verify it is not root)`];
  if (Number(user) < 1000) return [`line ${last.line}: USER ${last.args} is root or a system account`];
  const after = final!.instructions.slice(final!.instructions.indexOf(last) + 1);
  const run = after.find((i) => i.keyword === 'RUN');
  return run
    ? [`line ${run.line}: RUN after USER runs as the service user; keep image changes before USER`]
    : [];
}

/** No HEALTHCHECK: the task definition owns health (the ALB health check). */
export function noHealthcheck(text: string): string[] {
  return parseDockerfile(text)
    .filter((i) => i.keyword === 'HEALTHCHECK' && !/^NONE$/i.test(i.args))
    .map((i) => `line ${i.line}: HEALTHCHECK in the image; the task definition owns health`);
}

/** No credentials in ARG/ENV/LABEL names, no ADD (remote fetches, archives), no curl/wget downloads. */
export function noSecretsOrFetches(text: string): string[] {
  const problems: string[] = [];
  for (const i of parseDockerfile(text)) {
    if (i.keyword === 'ARG' || i.keyword === 'ENV') {
      const names = i.args.split(/\s+/).map((p) => p.split('=')[0]!);
      for (const n of names)
        if (SECRETISH.test(n)) problems.push(`line ${i.line}: ${i.keyword} ${n} looks like a credential`);
    }
    if (i.keyword === 'ADD')
      problems.push(`line ${i.line}: ADD; use COPY (ADD fetches URLs and unpacks archives)`);
    if (i.keyword === 'RUN' && /\b(curl|wget)\b/.test(i.args))
      problems.push(`line ${i.line}: downloads at build time`);
    if (/AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(i.args))
      problems.push(`line ${i.line}: literal key material`);
  }
  return problems;
}

/** The process starts as `node …` in exec form (no shell, no npm): SIGTERM reaches the handler. */
export function execFormNode(text: string): string[] {
  const final = stagesOf(parseDockerfile(text)).at(-1);
  const entry = final?.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  if (!entry)
    return ['the final stage has no ENTRYPOINT (the base image would start its shell entrypoint script)'];
  let argv: unknown;
  try {
    argv = JSON.parse(entry.args);
  } catch {
    return [`line ${entry.line}: ENTRYPOINT is in shell form; use the exec form ["node", …]`];
  }
  if (!Array.isArray(argv) || argv[0] !== 'node')
    return [`line ${entry.line}: ENTRYPOINT must start node directly`];
  return [];
}

/** Every COPY from the build context is allowed by the allow-list .dockerignore, which starts with `*`. */
export function contextAllowList(text: string, dockerignore: string): string[] {
  const problems: string[] = [];
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (rules[0] !== '*') problems.push('.dockerignore must start with * (allow-list)');
  const allowed = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1));
  for (const bad of allowed.filter((a) => /(^|\/)\.(git|env)|node_modules|tests?\//.test(a))) {
    problems.push(`.dockerignore re-includes ${bad}`);
  }
  const covered = (src: string) =>
    allowed.some(
      (a) => a === src || (a.endsWith('/**') && (src === a.slice(0, -3) || src.startsWith(a.slice(0, -2)))),
    );
  for (const i of parseDockerfile(text)) {
    if (i.keyword !== 'COPY' || /--from=/.test(i.args)) continue;
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      if (!covered(src.replace(/^\.\//, '')))
        problems.push(`line ${i.line}: COPY ${src} is excluded by .dockerignore`);
    }
  }
  return problems;
}

export const DOCKERFILE_RULES = {
  pinnedBase,
  multiStageProductionDeps,
  nonRootUser,
  noHealthcheck,
  noSecretsOrFetches,
  execFormNode,
} as const;
