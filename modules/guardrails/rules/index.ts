/** The rule pack: one pure rule per file, in report order. */
import type { GuardrailRule } from '../types';
import { albDropInvalidHeaders } from './alb-drop-invalid-headers';
import { albHttpRedirect } from './alb-http-redirect';
import { albProdDeletionProtection } from './alb-prod-deletion-protection';
import { albTlsPolicy } from './alb-tls-policy';
import { albWeightedRuleGuarded } from './alb-weighted-rule-guarded';
import { dynamodbEncryption } from './dynamodb-encryption';
import { dynamodbPitr } from './dynamodb-pitr';
import { ecrImmutableTags } from './ecr-immutable-tags';
import { ecsNoPlainSecrets } from './ecs-no-plain-secrets';
import { ecsReadonlyRoot } from './ecs-readonly-root';
import { iamNoBroadManagedPolicies } from './iam-no-broad-managed-policies';
import { iamNoPassRoleStar } from './iam-no-passrole-star';
import { iamNoStarActions } from './iam-no-star-actions';
import { iamOidcTrustPinsSub } from './iam-oidc-trust-pins-sub';
import { ecsScalingDeployerOwned } from './ecs-scaling-deployer-owned';
import { logGroupKms } from './log-group-kms';
import { logGroupRetention } from './log-group-retention';
import { noLiteralCredentials } from './no-literal-credentials';
import { noOpenIngress } from './no-open-ingress';
import { rdsIamAuth } from './rds-iam-auth';
import { rdsNotPublic } from './rds-not-public';
import { rdsProdResilience } from './rds-prod-resilience';
import { rdsStorageEncrypted } from './rds-storage-encrypted';
import { rdsStorageKeyGuard } from './rds-storage-key-guard';
import { redisAtRestEncryption } from './redis-at-rest-encryption';
import { redisProdResilience } from './redis-prod-resilience';
import { redisTransitEncryption } from './redis-transit-encryption';
import { s3Encryption } from './s3-encryption';
import { s3PublicAccessBlock } from './s3-public-access-block';
import { sgNoDuplicateRules } from './sg-no-duplicate-rules';
import { snsProdAlarmSubscribers } from './sns-prod-alarm-subscribers';

export const RULES: readonly GuardrailRule[] = [
  rdsStorageEncrypted,
  rdsNotPublic,
  rdsProdResilience,
  rdsIamAuth,
  redisAtRestEncryption,
  redisTransitEncryption,
  redisProdResilience,
  s3Encryption,
  s3PublicAccessBlock,
  logGroupKms,
  logGroupRetention,
  dynamodbEncryption,
  dynamodbPitr,
  noOpenIngress,
  ecsNoPlainSecrets,
  ecsReadonlyRoot,
  noLiteralCredentials,
  albDropInvalidHeaders,
  albProdDeletionProtection,
  albTlsPolicy,
  albHttpRedirect,
  ecrImmutableTags,
  iamNoStarActions,
  iamNoBroadManagedPolicies,
  iamNoPassRoleStar,
  iamOidcTrustPinsSub,
  // Issue 12: replacement and apply safety.
  sgNoDuplicateRules,
  ecsScalingDeployerOwned,
  rdsStorageKeyGuard,
  albWeightedRuleGuarded,
  snsProdAlarmSubscribers,
];

export {
  albDropInvalidHeaders,
  albHttpRedirect,
  albProdDeletionProtection,
  albTlsPolicy,
  albWeightedRuleGuarded,
  dynamodbEncryption,
  dynamodbPitr,
  ecrImmutableTags,
  ecsNoPlainSecrets,
  ecsReadonlyRoot,
  iamNoBroadManagedPolicies,
  iamNoPassRoleStar,
  iamNoStarActions,
  iamOidcTrustPinsSub,
  ecsScalingDeployerOwned,
  logGroupKms,
  logGroupRetention,
  noLiteralCredentials,
  noOpenIngress,
  rdsIamAuth,
  rdsNotPublic,
  rdsProdResilience,
  rdsStorageEncrypted,
  rdsStorageKeyGuard,
  redisAtRestEncryption,
  redisProdResilience,
  redisTransitEncryption,
  s3Encryption,
  s3PublicAccessBlock,
  sgNoDuplicateRules,
  snsProdAlarmSubscribers,
};
