/** The AWS partition of a region: `aws`, `aws-cn` (China) or `aws-us-gov` (GovCloud). Used to build ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
