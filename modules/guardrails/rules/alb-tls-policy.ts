import type { GuardrailRule } from '../types';

/**
 * ELB security policies whose lowest protocol is TLS 1.2, from the AWS "Security policies for your
 * Application Load Balancer" / "... Network Load Balancer" pages (protocols-by-policy tables),
 * including the FIPS, RFC 9151 and post-quantum (PQ) variants.
 */
export const MODERN_TLS_POLICIES: ReadonlySet<string> = new Set([
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09',
  'ELBSecurityPolicy-TLS-1-2-2017-01',
  'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-RFC9151-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-RFC9151-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP1-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP2-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP3-FIPS-2023-07',
  'ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP4-FIPS-2023-07',
]);

export const albTlsPolicy: GuardrailRule = {
  id: 'SY-ALB-3',
  severity: 'error',
  title: 'HTTPS/TLS listeners use a TLS 1.2+ security policy',
  explanation:
    'Policies that still offer TLS 1.0/1.1 (including `ELBSecurityPolicy-2016-08`, the default when no policy is ' +
    'given outside the console) allow downgrade to protocols with known weaknesses and fail PCI DSS and most ' +
    'audits. Set `sslPolicy` on every HTTPS or TLS listener to an allow-listed policy, preferably ' +
    '`ELBSecurityPolicy-TLS13-1-2-Res-2021-06` / `ELBSecurityPolicy-TLS13-1-2-2021-06` or their FIPS / PQ ' +
    'variants. A missing policy is an error, as is any name not on the allow-list (new AWS policies need adding ' +
    'there after review).',
  appliesTo: ['aws_lb_listener', 'aws_alb_listener'],
  check: (resource) => {
    const protocol = resource.config.protocol;
    if (protocol !== 'HTTPS' && protocol !== 'TLS') return [];
    const policy = resource.config.ssl_policy;
    if (policy === undefined || policy === null || policy === '') {
      return [`${protocol} listener has no ssl_policy (AWS would apply ELBSecurityPolicy-2016-08, TLS 1.0+)`];
    }
    return typeof policy === 'string' && MODERN_TLS_POLICIES.has(policy)
      ? []
      : [
          `${protocol} listener uses ssl_policy ${JSON.stringify(policy)}, which is not an allow-listed TLS 1.2+ policy`,
        ];
  },
};
