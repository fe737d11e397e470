/**
 * The sticky plan comment: the github-script body in ci.yml (job plan-comment) runs here against a fake
 * Octokit, exactly as actions/github-script runs it (an async function of github, context, core,
 * require and process).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asRecord, jobsOf, loadRepo, stepsOf } from './lib/repo';

interface Comment {
  id: number;
  body: string;
  user: { login: string } | null;
}

function commentScript(): string {
  const ci = loadRepo().workflows.get('ci.yml')!;
  const job = jobsOf(ci).find((j) => j.id === 'plan-comment')!;
  const step = stepsOf(job.def).find(
    (s) => typeof s['uses'] === 'string' && s['uses'].startsWith('actions/github-script@'),
  )!;
  return String(asRecord(step['with'])!['script']);
}

function fakeGitHub(initial: Comment[]) {
  const comments = initial.map((c) => ({ ...c }));
  const calls: string[] = [];
  let nextId = 1000;
  const listComments = async (): Promise<never> => {
    throw new Error('listComments must be called through paginate');
  };
  const github = {
    paginate: async (fn: unknown, params: Record<string, unknown>) => {
      expect(fn).toBe(listComments);
      calls.push(`list #${String(params['issue_number'])} per_page=${String(params['per_page'])}`);
      return comments.map((c) => ({ ...c }));
    },
    rest: {
      issues: {
        listComments,
        updateComment: async (p: { comment_id: number; body: string; owner: string; repo: string }) => {
          calls.push(`update ${p.comment_id} in ${p.owner}/${p.repo}`);
          comments.find((c) => c.id === p.comment_id)!.body = p.body;
          return { data: { id: p.comment_id } };
        },
        createComment: async (p: { issue_number: number; body: string }) => {
          const id = nextId++;
          calls.push(`create ${id} on #${p.issue_number}`);
          comments.push({ id, body: p.body, user: { login: 'github-actions[bot]' } });
          return { data: { id } };
        },
      },
    },
  };
  return { github, comments, calls };
}

const context = { payload: { pull_request: { number: 7 } }, repo: { owner: 'acme', repo: 'switchyard' } };

async function runScript(dir: string, github: unknown): Promise<string[]> {
  const messages: string[] = [];
  const core = {
    info: (m: string) => messages.push(`info: ${m}`),
    warning: (m: string) => messages.push(`warning: ${m}`),
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<unknown>;
  const fn = new AsyncFunction('github', 'context', 'core', 'require', 'process', commentScript());
  const proc = { env: { SUMMARY_DIR: dir } };
  await fn(github, context, core, require, proc);
  return messages;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-comment-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('plan comment upsert (ci.yml github-script)', () => {
  it('creates one comment per environment the first time', async () => {
    writeFileSync(join(dir, 'dev.md'), '<!-- switchyard-plan:dev -->\nplan dev v1');
    writeFileSync(join(dir, 'prod.md'), '<!-- switchyard-plan:prod -->\nplan prod v1');
    const { github, comments, calls } = fakeGitHub([{ id: 1, body: 'LGTM', user: { login: 'alice' } }]);
    await runScript(dir, github);
    expect(calls).toEqual(['list #7 per_page=100', 'create 1000 on #7', 'create 1001 on #7']);
    expect(comments.map((c) => c.body)).toEqual([
      'LGTM',
      '<!-- switchyard-plan:dev -->\nplan dev v1',
      '<!-- switchyard-plan:prod -->\nplan prod v1',
    ]);
  });

  it('updates the bot comment carrying the marker instead of adding another', async () => {
    writeFileSync(join(dir, 'dev.md'), '<!-- switchyard-plan:dev -->\nplan dev v2');
    const { github, comments, calls } = fakeGitHub([
      { id: 5, body: '<!-- switchyard-plan:dev -->\nplan dev v1', user: { login: 'github-actions[bot]' } },
      { id: 6, body: '<!-- switchyard-plan:prod -->\nplan prod v1', user: { login: 'github-actions[bot]' } },
    ]);
    await runScript(dir, github);
    expect(calls).toEqual(['list #7 per_page=100', 'update 5 in acme/switchyard']);
    expect(comments.map((c) => c.body)).toEqual([
      '<!-- switchyard-plan:dev -->\nplan dev v2',
      '<!-- switchyard-plan:prod -->\nplan prod v1',
    ]);
  });

  it('does not hijack a human comment that quotes the marker, nor confuse dev with dev-eu', async () => {
    writeFileSync(join(dir, 'dev.md'), '<!-- switchyard-plan:dev -->\nnew');
    const { github, calls } = fakeGitHub([
      { id: 8, body: '<!-- switchyard-plan:dev -->\nfake', user: { login: 'mallory' } },
      { id: 9, body: '<!-- switchyard-plan:dev-eu -->\nother env', user: { login: 'github-actions[bot]' } },
      { id: 10, body: 'ghost', user: null },
    ]);
    await runScript(dir, github);
    expect(calls).toEqual(['list #7 per_page=100', 'create 1000 on #7']);
  });

  it('skips a summary without a marker, and warns when there are none', async () => {
    writeFileSync(join(dir, 'dev.md'), 'no marker here');
    const { github, calls } = fakeGitHub([]);
    expect(await runScript(dir, github)).toEqual([
      'warning: dev.md: no switchyard-plan marker on the first line; not posted.',
    ]);
    expect(calls).toEqual(['list #7 per_page=100']);

    const empty = fakeGitHub([]);
    rmSync(dir, { recursive: true, force: true });
    expect(await runScript(dir, empty.github)).toEqual([
      'warning: No plan summaries were produced; see the plan jobs.',
    ]);
    expect(empty.calls).toEqual([]);
  });
});
