import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { type EnvironmentContext, parseEnvironment, parseProject } from '../../environments/loader';
import type { EnvironmentConfig, ProjectConfig } from '../../environments/schema';

export const PROJECT_DOC = {
  project: 'switchyard',
  accountId: '123456789012',
  region: 'eu-west-1',
  github: { repository: 'example-org/switchyard' },
};

export const project: ProjectConfig = parseProject(PROJECT_DOC, 'environments/project.yaml').config!;

/** A minimal valid document for each tier (prod carries what prod requires). */
export function validDoc(name: 'dev' | 'staging' | 'prod' = 'prod'): Record<string, unknown> {
  const base: Record<string, unknown> = {
    name,
    accountId: '123456789012',
    region: 'eu-west-1',
    vpc: { cidr: '10.30.0.0/16' },
    alb:
      name === 'dev'
        ? { allowPlainHttp: true }
        : { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
    services: [{ name: 'api', imageRepository: 'switchyard/api', containerPort: 8080 }],
    // Prod refuses an alarm topic nobody receives.
    ...(name === 'prod'
      ? { alarms: { subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }] } }
      : {}),
  };
  return base;
}

export function ctx(fileName = 'prod', known = ['dev', 'staging', 'prod']): EnvironmentContext {
  return { display: `environments/${fileName}.yaml`, fileName, knownEnvironments: known, project };
}

/** Problems of a document (expects at least one). */
export function problemsOf(doc: unknown, fileName = 'prod'): string[] {
  return parseEnvironment(doc, ctx(fileName)).problems;
}

export function resolved(doc: unknown, fileName = 'prod'): EnvironmentConfig {
  const r = parseEnvironment(doc, ctx(fileName));
  if (!r.config) throw new Error(`expected a valid document, got:\n${r.problems.join('\n')}`);
  return r.config;
}

/** A temporary environments/ directory holding the given files (objects are written as YAML). */
export function tempEnvironments(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-envs-'));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : YAML.stringify(content));
  }
  return dir;
}

/** Three valid environments + project.yaml. */
export function validFiles(): Record<string, unknown> {
  return {
    'project.yaml': PROJECT_DOC,
    'dev.yaml': { ...validDoc('dev'), vpc: { cidr: '10.10.0.0/16' } },
    'staging.yaml': { ...validDoc('staging'), vpc: { cidr: '10.20.0.0/16' }, promotion: { from: 'dev' } },
    'prod.yaml': { ...validDoc('prod'), promotion: { from: 'staging' } },
  };
}
