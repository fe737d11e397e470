/**
 * Pure IPv4 CIDR arithmetic and the subnet plan of the VPC module (no cdktf imports).
 *
 * Plan for a VPC of prefix /N (N between 16 and 23), AZ index i in 0..2:
 *   private  i: /(N+2), block i of the VPC split in quarters          (3/4 of the space, for tasks)
 *   public   i: /(N+5), block i of the last quarter split in eighths    (ALB, NAT gateways)
 *   isolated i: /(N+5), block 4+i of the last quarter split in eighths  (database, cache)
 * For 10.0.0.0/16: private 10.0.0.0/18, 10.0.64.0/18, 10.0.128.0/18; public 10.0.192.0/21, …;
 * isolated 10.0.224.0/21, …. The plan never overlaps and always leaves room for a third AZ.
 */

export const MIN_VPC_PREFIX = 16;
export const MAX_VPC_PREFIX = 23;
export const MAX_AZS = 3;

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { network: address, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True when the address has bits set below the prefix (e.g. 10.0.1.0/16). */
export function hasHostBits(c: Cidr): boolean {
  return (c.network & ~mask(c.prefix)) >>> 0 !== 0;
}

/** The CIDR with host bits cleared. */
export function normalise(c: Cidr): Cidr {
  return { network: (c.network & mask(c.prefix)) >>> 0, prefix: c.prefix };
}

export function formatCidr(c: Cidr): string {
  const n = c.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${c.prefix}`;
}

/** True when `inner` lies inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && (inner.network & mask(outer.prefix)) >>> 0 === outer.network;
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((t) => parseCidr(t)!);

/** True when the CIDR lies in an RFC 1918 private range. */
export function isRfc1918(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => contains(r, c));
}

/** The `index`-th block of size /newPrefix inside `parent`. */
export function subnetOf(parent: Cidr, newPrefix: number, index: number): Cidr {
  const count = 2 ** (newPrefix - parent.prefix);
  if (newPrefix < parent.prefix || newPrefix > 32 || index < 0 || index >= count) {
    throw new RangeError(`no block ${index} of /${newPrefix} in ${formatCidr(parent)}`);
  }
  return { network: (parent.network + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix };
}

export interface SubnetPlan {
  readonly public: readonly string[];
  readonly private: readonly string[];
  readonly isolated: readonly string[];
}

/** Subnet CIDRs for `azCount` AZs of the VPC `vpcCidr` (see the file comment). */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  const vpc = parseCidr(vpcCidr);
  if (!vpc || hasHostBits(vpc)) throw new RangeError(`invalid VPC CIDR ${vpcCidr}`);
  if (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX) {
    throw new RangeError(`VPC CIDR ${vpcCidr} must be /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX}`);
  }
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_AZS) {
    throw new RangeError(`azCount must be 1 to ${MAX_AZS} (got ${azCount})`);
  }
  const lastQuarter = subnetOf(vpc, vpc.prefix + 2, 3);
  const azs = [...Array(azCount).keys()];
  return {
    private: azs.map((i) => formatCidr(subnetOf(vpc, vpc.prefix + 2, i))),
    public: azs.map((i) => formatCidr(subnetOf(lastQuarter, vpc.prefix + 5, i))),
    isolated: azs.map((i) => formatCidr(subnetOf(lastQuarter, vpc.prefix + 5, 4 + i))),
  };
}
