/**
 * EcsPort on @aws-sdk/client-ecs.
 *
 * registerTaskDefinitionFrom copies every field of the base revision (the topology's
 * baseTaskDefinitionArn, or the live one), including its tags (read with `include: ['TAGS']`), except
 * the read-only fields AWS reports but RegisterTaskDefinition rejects, and replaces only the image of the
 * named container. describeTaskDefinition adds a configuration fingerprint (hashes only) for plan diffs.
 */
import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Deployment as SdkDeployment,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { configurationFingerprint } from '../core/task-config';
import {
  type EcsDeployment,
  type EcsPort,
  type EcsServiceState,
  PortError,
  type RolloutState,
  type TaskDefinitionConfiguration,
  type TaskDefinitionSummary,
} from '../ports';
import { aws } from './errors';

/** Fields DescribeTaskDefinition returns that are not inputs of RegisterTaskDefinition. */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const satisfies readonly (keyof TaskDefinition)[];

type CopiedFields = Exclude<keyof TaskDefinition, (typeof READ_ONLY_TASK_DEFINITION_FIELDS)[number]>;
// Compile-time guard: if a new SDK version adds a TaskDefinition field that RegisterTaskDefinition does
// not accept, this line fails to type-check and the field must be classified above.
type AssertAllCopyable<T extends keyof RegisterTaskDefinitionCommandInput> = T;
export type CopiedTaskDefinitionField = AssertAllCopyable<CopiedFields>;

/** Builds the RegisterTaskDefinition input from a live revision, replacing one container's image. */
export function registerInputFrom(
  live: TaskDefinition,
  tags: RegisterTaskDefinitionCommandInput['tags'],
  containerName: string,
  image: string,
): RegisterTaskDefinitionCommandInput {
  const copy: Record<string, unknown> = { ...live };
  for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete copy[field];
  const containers = live.containerDefinitions ?? [];
  if (!containers.some((c) => c.name === containerName)) {
    throw new PortError(
      'invalid',
      `task definition ${live.taskDefinitionArn} has no container named "${containerName}" ` +
        `(containers: ${containers.map((c) => c.name).join(', ') || 'none'}); fix containerName in the topology`,
    );
  }
  copy.containerDefinitions = containers.map((c): ContainerDefinition =>
    c.name === containerName ? { ...c, image } : c,
  );
  if (tags && tags.length > 0) copy.tags = tags;
  return copy as unknown as RegisterTaskDefinitionCommandInput;
}

/** Fingerprint of the registrable configuration (read-only fields and images excluded). */
export function taskDefinitionConfiguration(td: TaskDefinition): TaskDefinitionConfiguration {
  const fields: Record<string, unknown> = { ...td };
  for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete fields[field];
  return configurationFingerprint(
    fields,
    (td.containerDefinitions ?? []).map((c) => ({ ...c }) as { name?: string } & Record<string, unknown>),
  );
}

function summary(td: TaskDefinition | undefined, what: string): TaskDefinitionSummary {
  if (!td?.taskDefinitionArn || !td.family || td.revision === undefined) {
    throw new PortError('internal', `${what}: AWS returned no task definition`);
  }
  return {
    configuration: taskDefinitionConfiguration(td),
    arn: td.taskDefinitionArn,
    family: td.family,
    revision: td.revision,
    containers: (td.containerDefinitions ?? []).map((c) => ({
      containerName: c.name ?? '',
      image: c.image ?? '',
    })),
  };
}

const DEPLOYMENT_STATUSES = new Set(['PRIMARY', 'ACTIVE', 'INACTIVE']);
const ROLLOUT_STATES = new Set(['IN_PROGRESS', 'COMPLETED', 'FAILED']);

export function mapDeployment(d: SdkDeployment): EcsDeployment {
  const status = DEPLOYMENT_STATUSES.has(d.status ?? '') ? (d.status as EcsDeployment['status']) : 'INACTIVE';
  // Services without the ECS deployment controller's rollout tracking report no rolloutState; treat as in progress.
  const rolloutState = ROLLOUT_STATES.has(d.rolloutState ?? '')
    ? (d.rolloutState as RolloutState)
    : 'IN_PROGRESS';
  return {
    id: d.id ?? '',
    status,
    taskDefinitionArn: d.taskDefinition ?? '',
    rolloutState,
    ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
    desiredCount: d.desiredCount ?? 0,
    runningCount: d.runningCount ?? 0,
    failedTasks: d.failedTasks ?? 0,
  };
}

/** Max tasks DescribeTasks accepts per call (and ListTasks returns per page). */
const TASK_BATCH = 100;

export class AwsEcsAdapter implements EcsPort {
  constructor(private readonly client: ECSClient) {}

  async describeService(cluster: string, service: string): Promise<EcsServiceState> {
    const what = `ECS DescribeServices ${cluster}/${service}`;
    const out = await aws(what, () =>
      this.client.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc =
      out.services?.find((s) => s.serviceName === service || s.serviceArn === service) ?? out.services?.[0];
    if (!svc) {
      const reason = out.failures?.[0]?.reason ?? 'MISSING';
      throw new PortError('not-found', `${what}: service not found (${reason})`);
    }
    return {
      serviceName: svc.serviceName ?? service,
      status: svc.status ?? 'UNKNOWN',
      taskDefinitionArn: svc.taskDefinition ?? '',
      desiredCount: svc.desiredCount ?? 0,
      runningCount: svc.runningCount ?? 0,
      deployments: (svc.deployments ?? []).map(mapDeployment),
      // AWS: Service.events — "The event stream for your service. A maximum of 100 of the latest events
      // are displayed." (ECS API Reference)
      events: (svc.events ?? [])
        .filter((e) => e.message)
        .map((e) => ({ at: e.createdAt?.getTime() ?? 0, message: e.message! }))
        .sort((a, b) => b.at - a.at),
    };
  }

  async describeTaskDefinition(arn: string): Promise<TaskDefinitionSummary> {
    const what = `ECS DescribeTaskDefinition ${arn}`;
    const out = await aws(what, () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
    );
    return summary(out.taskDefinition, what);
  }

  async registerTaskDefinitionFrom(
    baseArn: string,
    containerName: string,
    image: string,
  ): Promise<TaskDefinitionSummary> {
    const live = await aws(`ECS DescribeTaskDefinition ${baseArn}`, () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: baseArn, include: ['TAGS'] })),
    );
    if (!live.taskDefinition) throw new PortError('not-found', `ECS task definition ${baseArn} not found`);
    const input = registerInputFrom(live.taskDefinition, live.tags, containerName, image);
    const what = `ECS RegisterTaskDefinition ${input.family} (from ${baseArn})`;
    const out = await aws(what, () => this.client.send(new RegisterTaskDefinitionCommand(input)));
    return summary(out.taskDefinition, what);
  }

  async updateService(
    cluster: string,
    service: string,
    update: { taskDefinitionArn?: string; desiredCount: number },
  ): Promise<{ deploymentId?: string }> {
    const what = `ECS UpdateService ${cluster}/${service}`;
    const out = await aws(what, () =>
      this.client.send(
        new UpdateServiceCommand({
          cluster,
          service,
          desiredCount: update.desiredCount,
          ...(update.taskDefinitionArn ? { taskDefinition: update.taskDefinitionArn } : {}),
        }),
      ),
    );
    if (!update.taskDefinitionArn) return {};
    const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.id) throw new PortError('internal', `${what}: response has no PRIMARY deployment`);
    if (primary.taskDefinition && primary.taskDefinition !== update.taskDefinitionArn) {
      throw new PortError(
        'conflict',
        `${what}: PRIMARY deployment ${primary.id} runs ${primary.taskDefinition}, not ${update.taskDefinitionArn}`,
      );
    }
    return { deploymentId: primary.id };
  }

  async recentStoppedTaskReasons(cluster: string, service: string, sinceMs: number): Promise<string[]> {
    const listed = await aws(`ECS ListTasks ${cluster}/${service} STOPPED`, () =>
      this.client.send(
        new ListTasksCommand({
          cluster,
          serviceName: service,
          desiredStatus: 'STOPPED',
          maxResults: TASK_BATCH,
        }),
      ),
    );
    const arns = listed.taskArns ?? [];
    if (arns.length === 0) return [];
    const described = await aws(`ECS DescribeTasks ${cluster}/${service}`, () =>
      this.client.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(0, TASK_BATCH) })),
    );
    return (described.tasks ?? [])
      .map((t) => ({ t, at: (t.stoppedAt ?? t.stoppingAt ?? t.executionStoppedAt)?.getTime() }))
      .filter(({ at }) => at !== undefined && at >= sinceMs)
      .sort((a, b) => (b.at ?? 0) - (a.at ?? 0))
      .map(({ t }) => {
        const id = (t.taskArn ?? '').split('/').pop();
        const containers = (t.containers ?? [])
          .filter((c) => c.exitCode !== undefined || c.reason)
          .map(
            (c) =>
              `container ${c.name}` +
              (c.exitCode !== undefined ? ` exit code ${c.exitCode}` : '') +
              (c.reason ? `: ${c.reason}` : ''),
          );
        return [`task ${id}: ${t.stoppedReason ?? t.stopCode ?? 'stopped'}`, ...containers].join('; ');
      });
  }
}
