import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODERN_TLS_POLICIES, RULES } from '../../../modules/guardrails';

const readme = fs.readFileSync(path.resolve(__dirname, '../../../modules/guardrails/README.md'), 'utf8');

describe('guardrails README', () => {
  it('lists every rule with its severity, and nothing else', () => {
    const rows = [...readme.matchAll(/^\| (SY-[A-Z0-9]+-\d+) *\| (error|warning) *\|/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(rows).toEqual(RULES.map((r) => `${r.id} ${r.severity}`));
  });
  it('never allow-lists a policy that still offers TLS 1.0 or 1.1', () => {
    for (const policy of MODERN_TLS_POLICIES) {
      expect(policy).not.toMatch(/TLS13-1-[01]-|TLS-1-[01]-|FS-1-1-|FS-2018-06|-2016-08|-2015-0/);
    }
  });
});
