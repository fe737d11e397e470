import { containerName, parseContainerDefinitions } from '../config';
import type { GuardrailRule } from '../types';

export const ecsReadonlyRoot: GuardrailRule = {
  id: 'SY-ECS-2',
  severity: 'error',
  title: 'ECS containers run with a read-only root filesystem',
  explanation:
    'A writable root filesystem lets an attacker who gets code execution drop tools, modify binaries or persist ' +
    'across requests inside the task. Set `readonlyRootFilesystem: true` on every container definition and ' +
    'give the application explicit scratch space (a task `volume` mounted at /tmp) where it needs to write.',
  appliesTo: ['aws_ecs_task_definition'],
  check: (resource) => {
    const parsed = parseContainerDefinitions(resource.config.container_definitions);
    if ('error' in parsed) return [parsed.error];
    return parsed.containers.flatMap((container, i) =>
      container.readonlyRootFilesystem === true
        ? []
        : [`container ${containerName(container, i)} does not set readonlyRootFilesystem: true`],
    );
  },
};
