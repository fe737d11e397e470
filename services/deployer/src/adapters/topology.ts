/**
 * Reads a service's topology document: from SSM (`/switchyard/<env>/services/<svc>`, published by
 * Terraform) or from a JSON file (`--topology`).
 *
 * Errors: a missing parameter or file → PortError('not-found') whose message names the parameter /
 * file and what to do; a document that is not valid JSON or fails the schema → TopologyError listing
 * every problem. Other AWS failures → PortError of the mapped kind.
 */
import { readFile } from 'node:fs/promises';
import { GetParameterCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseTopology, type ServiceTopology, TopologyError, topologyParameterName } from '../../../topology';
import { PortError } from '../ports';
import { createSsmClient } from './clients';
import { aws, errorName, toPortError } from './errors';

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = `${source}: not valid JSON (${(err as Error).message})`;
    throw new TopologyError(`invalid topology document ${source}:\n  ${msg}`, [msg]);
  }
}

/** Services that have a topology parameter in `environment` (sorted). */
export async function listTopologyServices(client: SSMClient, environment: string): Promise<string[]> {
  const prefix = topologyParameterName(environment, ''); // ends with '/'
  const path = prefix.slice(0, -1);
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await aws(`SSM GetParametersByPath ${path}`, () =>
      client.send(
        new GetParametersByPathCommand({
          Path: path,
          Recursive: false,
          MaxResults: 10,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const p of out.Parameters ?? [])
      if (p.Name?.startsWith(prefix)) names.push(p.Name.slice(prefix.length));
    nextToken = out.NextToken;
  } while (nextToken);
  return names.sort();
}

export interface LoadTopologyOptions {
  /** SSM client to use (tests pass a mocked one). @default a client from `createSsmClient({ region })` */
  readonly client?: SSMClient;
}

/**
 * Loads and validates the topology of `service` in `environment` from SSM.
 * @param region AWS region of the environment; @default the SDK chain (`AWS_REGION`, profile)
 */
export async function loadTopologyFromSsm(
  environment: string,
  service: string,
  region?: string,
  options: LoadTopologyOptions = {},
): Promise<ServiceTopology> {
  const client = options.client ?? createSsmClient({ region });
  const name = topologyParameterName(environment, service);
  let value: string | undefined;
  try {
    const out = await client.send(new GetParameterCommand({ Name: name }));
    value = out.Parameter?.Value;
  } catch (err) {
    if (errorName(err) !== 'ParameterNotFound') throw toPortError(err, `SSM GetParameter ${name}`);
    const services = await listTopologyServices(client, environment);
    const where = region ? ` in ${region}` : '';
    const message =
      services.length > 0
        ? `unknown service "${service}" in environment "${environment}": SSM parameter ${name} does not exist${where}. ` +
          `Services in ${environment}: ${services.join(', ')}. Check --service, or add the service to environments/${environment}.yaml and apply.`
        : `no topology for environment "${environment}"${where}: SSM parameter ${name} does not exist and no service is ` +
          `published under ${topologyParameterName(environment, '')}. The environment is unknown or not applied yet ` +
          `(the very first build of a repository gets this for dev: it pushes before any environment exists). ` +
          `Nothing was read or changed. Check --env and the region; otherwise apply ${environment} first — GitHub: ` +
          `Actions → infra on main (or the infra run of a push); locally: npm run synth, then terraform init and ` +
          `apply in cdktf.out/stacks/${environment} — and run this command again (GitHub: Re-run failed jobs, or ` +
          `Actions → deploy with the same image tag). Or pass --topology FILE.`;
    throw new PortError('not-found', message, err);
  }
  const source = `ssm:${name}`;
  if (!value)
    throw new TopologyError(`invalid topology document ${source}: empty value`, [`${source}: empty value`]);
  const topology = parseTopology(parseJson(value, source), source);
  if (topology.environment !== environment || topology.service !== service) {
    const msg = `${source}: document describes ${topology.environment}/${topology.service}, expected ${environment}/${service}`;
    throw new TopologyError(`invalid topology document ${source}:\n  ${msg}`, [msg]);
  }
  return topology;
}

/** Loads and validates a topology document from a JSON file. */
export async function loadTopologyFile(path: string): Promise<ServiceTopology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new PortError(
        'not-found',
        `topology file ${path} does not exist; check the --topology path`,
        err,
      );
    }
    throw new PortError('invalid', `cannot read topology file ${path}: ${(err as Error).message}`, err);
  }
  return parseTopology(parseJson(text, path), path);
}
