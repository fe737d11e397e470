/**
 * AWS adapters of the deployer ports. `createAwsPorts` builds every port on SDK v3 clients that share
 * region, retry mode and the standard credential chain (see ./clients.ts for AWS_ENDPOINT_URL).
 */
import type {
  Clock,
  EcsPort,
  LoadBalancerPort,
  MetricsPort,
  RegistryPort,
  ScalingPort,
  StorePort,
} from '../ports';
import { DynamoStore } from '../store/dynamodb-store';
import { AwsScalingAdapter } from './autoscaling';
import { type AwsClientOptions, type AwsClients, createAutoScalingClient, createAwsClients } from './clients';
import { AwsMetricsAdapter } from './cloudwatch';
import { AwsRegistryAdapter, type RegistryLocation } from './ecr';
import { AwsEcsAdapter } from './ecs';
import { AwsLoadBalancerAdapter } from './elbv2';

export interface AwsPortsOptions extends AwsClientOptions {
  /** DynamoDB deployment table of the environment (topology `deploymentTable`). Required. */
  readonly tableName: string;
  /** Clock for lock leases. @default Date.now */
  readonly clock?: Pick<Clock, 'now'>;
  /** Pre-built clients (tests). @default `createAwsClients(options)` */
  readonly clients?: AwsClients;
  /**
   * Account (and region) of the ECR repositories — the shared-services account of the topology's
   * `repositoryUri` (`registryOf`). Every ECR request names it. @default the caller's account
   */
  readonly registry?: RegistryLocation;
}

export interface AwsPorts {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly metrics: MetricsPort;
  readonly registry: RegistryPort;
  readonly store: StorePort;
  /** Application Auto Scaling floor of the colours (used when the topology has `autoscaling`). */
  readonly scaling: ScalingPort;
}

export function createAwsPorts(options: AwsPortsOptions): AwsPorts {
  const clients = options.clients ?? createAwsClients(options);
  return {
    ecs: new AwsEcsAdapter(clients.ecs),
    lb: new AwsLoadBalancerAdapter(clients.elbv2),
    metrics: new AwsMetricsAdapter(clients.cloudwatch),
    registry: new AwsRegistryAdapter(clients.ecr, options.registry),
    store: new DynamoStore({ client: clients.dynamodb, tableName: options.tableName, clock: options.clock }),
    scaling: new AwsScalingAdapter(clients.autoscaling ?? createAutoScalingClient(options)),
  };
}

export { DynamoStore } from '../store/dynamodb-store';
export {
  AwsScalingAdapter,
  ECS_DESIRED_COUNT_DIMENSION,
  ECS_SERVICE_NAMESPACE,
  registerScalableTargetInput,
} from './autoscaling';
export {
  type AwsClientOptions,
  type AwsClients,
  createAutoScalingClient,
  createAwsClients,
  DEFAULT_MAX_ATTEMPTS,
  ENDPOINT_URL_ENV,
} from './clients';
export { AwsMetricsAdapter, AwsTrafficWeightPublisher } from './cloudwatch';
export {
  AwsRegistryAdapter,
  MANIFEST_MEDIA_TYPES,
  manifestDigest,
  type RegistryLocation,
  registryOf,
} from './ecr';
export { AwsEcsAdapter } from './ecs';
export { AwsLoadBalancerAdapter } from './elbv2';
export { portErrorKind, toPortError } from './errors';
export { listTopologyServices, loadTopologyFile, loadTopologyFromSsm } from './topology';
