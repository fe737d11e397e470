/**
 * Name and console address of an environment's CloudWatch dashboard (created by modules/dashboard).
 * Pure, free of cdktf and AWS SDK imports, so the deployer (`switchyard status`, the job summary) can
 * link the dashboard from what it already knows: project, environment and region (all in the topology).
 */

/** AWS: dashboard names are "up to 255 characters, valid characters A-Z, a-z, 0-9, "-", and "_"" (PutDashboard). */
export const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** The dashboard of one environment: `<project>-<environment>`. */
export function dashboardName(project: string, environment: string): string {
  const name = `${project}-${environment}`;
  if (!DASHBOARD_NAME.test(name)) {
    throw new Error(
      `dashboard name "${name}" must be 1-255 characters A-Z, a-z, 0-9, "-" or "_" (from project "${project}" and environment "${environment}")`,
    );
  }
  return name;
}

/** Console host of a region's partition: commercial, China or GovCloud. */
function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return 'console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'console.amazonaws-us-gov.com';
  return `${region}.console.aws.amazon.com`;
}

/**
 * Console link of a dashboard. Dashboards are global to the account, their widgets name the region of
 * their metrics; the link opens the console in the environment's region.
 */
export function dashboardConsoleUrl(region: string, name: string): string {
  if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) {
    throw new Error(`dashboard URL: "${region}" is not an AWS region such as eu-west-1`);
  }
  if (!DASHBOARD_NAME.test(name)) throw new Error(`dashboard URL: "${name}" is not a dashboard name`);
  return `https://${consoleHost(region)}/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;
}
