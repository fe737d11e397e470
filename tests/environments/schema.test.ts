import { loadConfiguration, suggest } from '../../environments/loader';
import { looksLikeSecretName } from '../../environments/rules';
import { problemsOf, resolved, tempEnvironments, validDoc, validFiles } from './fixtures';

const F = 'environments/prod.yaml';

function withService(patch: Record<string, unknown>, doc = validDoc()): Record<string, unknown> {
  const services = doc.services as Record<string, unknown>[];
  return { ...doc, services: [{ ...services[0], ...patch }] };
}

describe('valid documents', () => {
  test.each(['dev', 'staging', 'prod'] as const)('%s minimal document is valid', (tier) => {
    expect(problemsOf(validDoc(tier), tier)).toEqual([]);
  });
});

describe('unknown keys (typos)', () => {
  test('top-level typo suggests the field', () => {
    expect(problemsOf({ ...validDoc(), databse: {} })).toEqual([
      `${F}: databse: unknown field (did you mean "database"?)`,
    ]);
  });
  test('nested typo suggests the field', () => {
    expect(problemsOf({ ...validDoc(), vpc: { cidr: '10.30.0.0/16', azCont: 3 } })).toEqual([
      `${F}: vpc.azCont: unknown field (did you mean "azCount"?)`,
    ]);
  });
  test('typo inside a service item', () => {
    expect(problemsOf(withService({ containerPrt: 80 }))).toEqual([
      `${F}: services[0].containerPrt: unknown field (did you mean "containerPort"?)`,
    ]);
  });
  test('unrelated key lists the known ones', () => {
    expect(problemsOf({ ...validDoc(), protection: { preventDestroy: true, zzz: 1 } })).toEqual([
      `${F}: protection.zzz: unknown field (known: preventDestroy)`,
    ]);
  });
  test('suggest() finds close names only', () => {
    expect(suggest('natGatway', ['natGateways', 'cidr'])).toBe('natGateways');
    expect(suggest('completelydifferent', ['cidr', 'azCount'])).toBeUndefined();
  });
});

describe('database.engineVersion', () => {
  test('defaults to the major version only (RDS applies minor versions)', () => {
    expect(resolved(validDoc()).database.engineVersion).toBe('16');
  });
  test('a pinned minor version is refused with the reason', () => {
    expect(problemsOf({ ...validDoc(), database: { engineVersion: '16.4' } })).toEqual([
      `${F}: database.engineVersion: must be a PostgreSQL major version such as "16" (RDS applies minor versions itself) (got "16.4")`,
    ]);
  });
});

describe('database.appUsername', () => {
  test('defaults to "app"', () => {
    expect(resolved(validDoc()).database.appUsername).toBe('app');
  });
  test('refuses the master user and reserved names', () => {
    expect(problemsOf({ ...validDoc(), database: { appUsername: 'app_admin' } })).toEqual([
      `${F}: database.appUsername: must differ from masterUsername (services must not connect as the master user) (got "app_admin")`,
    ]);
    expect(problemsOf({ ...validDoc(), database: { appUsername: 'rdsadmin' } })).toEqual([
      `${F}: database.appUsername: must not be a name RDS reserves (postgres, rdsadmin, admin, root, rds_superuser) (got "rdsadmin")`,
    ]);
  });
});

describe('wrong types', () => {
  test('string where a number is expected', () => {
    expect(problemsOf(withService({ containerPort: '8080' }))).toEqual([
      `${F}: services[0].containerPort: must be a whole number (got "8080")`,
    ]);
  });
  test('number where a boolean is expected', () => {
    expect(problemsOf({ ...validDoc(), database: { multiAz: 1 } })).toEqual([
      `${F}: database.multiAz: must be true or false, not a number (got 1)`,
    ]);
  });
  test('mapping where a list is expected', () => {
    expect(problemsOf({ ...validDoc(), services: { name: 'api' } })).toEqual([
      `${F}: services: must be a list, not a mapping (got {"name":"api"})`,
    ]);
  });
  test('unquoted account id', () => {
    expect(problemsOf({ ...validDoc(), accountId: 123456789012 })).toEqual([
      `${F}: accountId: must be a 12-digit AWS account id in quotes (got 123456789012)`,
    ]);
  });
  test('missing required field', () => {
    const doc = validDoc();
    delete doc.region;
    expect(problemsOf(doc)).toEqual([`${F}: region: required`]);
  });
  test('enum value', () => {
    expect(problemsOf({ ...validDoc(), vpc: { cidr: '10.30.0.0/16', natGateways: 'two' } })).toEqual([
      `${F}: vpc.natGateways: must be one of "single", "per-az", "none" (got "two")`,
    ]);
  });
  test('a file that is not a mapping', () => {
    expect(problemsOf(['a'])).toEqual([`${F}: (file): must be a YAML mapping of fields (got ["a"])`]);
  });
});

describe('VPC CIDR and AZs', () => {
  const vpc = (v: Record<string, unknown>) => ({ ...validDoc(), vpc: { cidr: '10.30.0.0/16', ...v } });
  test('not a CIDR', () => {
    expect(problemsOf(vpc({ cidr: '10.300.0.0/16' }))).toEqual([
      `${F}: vpc.cidr: must be an IPv4 CIDR such as 10.0.0.0/16 (got "10.300.0.0/16")`,
    ]);
  });
  test('host bits set', () => {
    expect(problemsOf(vpc({ cidr: '10.30.1.0/16' }))).toEqual([
      `${F}: vpc.cidr: has host bits set; did you mean 10.30.0.0/16? (got "10.30.1.0/16")`,
    ]);
  });
  test.each(['10.0.0.0/8', '10.0.0.0/24'])('prefix that does not fit the subnet plan: %s', (cidr) => {
    expect(problemsOf(vpc({ cidr }))).toEqual([
      `${F}: vpc.cidr: prefix must be /16 to /23 to fit the subnet plan (3 private /N+2, 3 public and 3 isolated /N+5 subnets) (got "${cidr}")`,
    ]);
  });
  test('public range', () => {
    expect(problemsOf(vpc({ cidr: '8.8.0.0/16' }))).toEqual([
      `${F}: vpc.cidr: must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) (got "8.8.0.0/16")`,
    ]);
  });
  test('AZ count outside 2..3', () => {
    expect(problemsOf(vpc({ azCount: 5 }))).toEqual([`${F}: vpc.azCount: must be 2 or 3 (got 5)`]);
  });
  test('AZ count against the listed subnets/zones', () => {
    expect(problemsOf(vpc({ azCount: 3, availabilityZones: ['eu-west-1a', 'eu-west-1b'] }))).toEqual([
      `${F}: vpc.availabilityZones: must list exactly azCount (3) zones (got ["eu-west-1a","eu-west-1b"])`,
    ]);
  });
  test('zone outside the region and repeated zone', () => {
    expect(
      problemsOf(vpc({ azCount: 2, availabilityZones: ['us-east-1a', 'eu-west-1a', 'eu-west-1a'] })),
    ).toEqual([
      `${F}: vpc.availabilityZones: must list exactly azCount (2) zones (got ["us-east-1a","eu-west-1a","eu-west-1a"])`,
      `${F}: vpc.availabilityZones[0]: must be a zone of eu-west-1 such as eu-west-1a (got "us-east-1a")`,
      `${F}: vpc.availabilityZones[2]: is listed twice (got "eu-west-1a")`,
    ]);
  });
  test('no NAT needs the ECR and logs endpoints', () => {
    const doc: Record<string, unknown> = vpc({ natGateways: 'none', interfaceEndpoints: ['ecr.api'] });
    doc.alb = { ...(doc.alb as object), testListener: { allowedCidrs: ['192.0.2.0/24'] } };
    expect(problemsOf(doc)).toEqual([
      `${F}: vpc.interfaceEndpoints: must include ecr.dkr, logs when natGateways is "none": tasks pull images and write logs through them (got ["ecr.api"])`,
    ]);
  });
  test('flow log retention must be a CloudWatch value', () => {
    expect(problemsOf(vpc({ flowLogRetentionDays: 10 }))[0]).toMatch(
      /^environments\/prod\.yaml: vpc\.flowLogRetentionDays: must be one of the CloudWatch retention periods 1, 3, .* \(got 10\)$/,
    );
  });
});

describe('services', () => {
  test('duplicate service names', () => {
    const doc = validDoc();
    const api = (doc.services as object[])[0];
    doc.services = [
      { ...api, routing: { pathPattern: '/a/*' } },
      { ...api, routing: { pathPattern: '/b/*' } },
    ];
    expect(problemsOf(doc)).toEqual([
      `${F}: services[1].name: duplicate service name (also services[0]) (got "api")`,
    ]);
  });
  test('invalid Fargate cpu/memory pair', () => {
    expect(problemsOf(withService({ cpu: 256, memory: 4096 }))).toEqual([
      `${F}: services[0].memory: must be 512, 1024 or 2048 for cpu 256 (Fargate) (got 4096)`,
    ]);
    expect(problemsOf(withService({ cpu: 4096, memory: 4096 }))).toEqual([
      `${F}: services[0].memory: must be between 8192 and 30720 in steps of 1024 for cpu 4096 (Fargate) (got 4096)`,
    ]);
  });
  test('invalid Fargate cpu', () => {
    expect(problemsOf(withService({ cpu: 300 }))).toEqual([
      `${F}: services[0].cpu: must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)`,
    ]);
  });
  test('secret-looking plain environment variable', () => {
    expect(problemsOf(withService({ environment: { DB_PASSWORD: 'hunter2', LOG_LEVEL: 'info' } }))).toEqual([
      `${F}: services[0].environment.DB_PASSWORD: looks like a secret; put it in services[0].secrets as a Secrets Manager or SSM parameter ARN instead`,
    ]);
  });
  test('secret-looking names', () => {
    for (const n of ['DB_PASSWORD', 'API_KEY', 'GITHUB_TOKEN', 'CLIENT_SECRET', 'aws_secret_access_key'])
      expect(looksLikeSecretName(n)).toBe(true);
    for (const n of ['LOG_LEVEL', 'MONKEY_MODE', 'KEYBOARD_LAYOUT', 'PORT'])
      expect(looksLikeSecretName(n)).toBe(false);
  });
  test('variable names must be valid', () => {
    expect(problemsOf(withService({ environment: { 'log-level': 'info' } }))).toEqual([
      `${F}: services[0].environment.log-level: is not a valid variable name (letters, digits and _, not starting with a digit)`,
    ]);
  });
  test('typo in deploy settings', () => {
    expect(problemsOf(withService({ deploy: { canaryPercnt: 5 } }))).toEqual([
      `${F}: services[0].deploy.canaryPercnt: unknown field (did you mean "canaryPercent"?)`,
    ]);
  });
  test('secrets must be ARNs', () => {
    expect(problemsOf(withService({ secrets: { DB_PASSWORD: 'hunter2' } }))).toEqual([
      `${F}: services[0].secrets.DB_PASSWORD: must be a Secrets Manager secret ARN or an SSM parameter ARN (got "hunter2")`,
    ]);
  });
  test('desired count outside autoscaling bounds', () => {
    expect(problemsOf(withService({ desiredCount: 20 }))).toEqual([
      `${F}: services[0].desiredCount: must be between autoscaling.min (3) and autoscaling.max (12) (got 20)`,
    ]);
  });
  test('health-check timeout must be below the interval', () => {
    expect(problemsOf(withService({ healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }))).toEqual([
      `${F}: services[0].healthCheck.timeoutSeconds: must be less than intervalSeconds (10) (got 10)`,
    ]);
  });
  test('two services need routing and distinct priorities', () => {
    const doc = validDoc();
    const api = (doc.services as object[])[0];
    doc.services = [
      { ...api, routing: { priority: 100 } },
      { ...api, name: 'web', routing: { hostHeader: 'web.example.com', priority: 100 } },
    ];
    expect(problemsOf(doc)).toEqual([
      `${F}: services[0].routing: must set hostHeader or pathPattern when the environment has more than one service`,
      `${F}: services[1].routing.priority: duplicate priority (also services[0]) (got 100)`,
    ]);
  });
  test('wildcard task-role actions are refused', () => {
    const st = { actions: ['s3:*'], resources: ['arn:aws:s3:::b/*'] };
    expect(problemsOf(withService({ taskRolePolicyStatements: [st] }))).toEqual([
      `${F}: services[0].taskRolePolicyStatements[0].actions[0]: must name specific actions (least privilege), not a wildcard (got "s3:*")`,
    ]);
  });
  test('deploy settings come from the topology contract', () => {
    expect(problemsOf(withService({ deploy: { strategy: 'blue-green' } }))).toEqual([
      `${F}: services[0].deploy.strategy: must be one of "all-at-once", "canary", "linear" (got "blue-green")`,
    ]);
  });
});

describe('prod requirements', () => {
  test('prod without Multi-AZ or deletion protection on the database', () => {
    expect(problemsOf({ ...validDoc(), database: { multiAz: false, deletionProtection: false } })).toEqual([
      `${F}: database.multiAz: must be true in prod (got false)`,
      `${F}: database.deletionProtection: must be true in prod (got false)`,
    ]);
  });
  test('prod without cache failover', () => {
    expect(problemsOf({ ...validDoc(), cache: { automaticFailover: false, multiAz: false } })).toEqual([
      `${F}: cache.automaticFailover: must be true in prod (got false)`,
      `${F}: cache.multiAz: must be true in prod (got false)`,
    ]);
  });
  test('prod with the cache AUTH token in the state (secrets-manager mode)', () => {
    expect(problemsOf({ ...validDoc(), cache: { authMode: 'secrets-manager' } })).toEqual([
      `${F}: cache.authMode: must be rbac in prod (secrets-manager keeps the AUTH token in the Terraform state, which pull-request plans read) (got "secrets-manager")`,
    ]);
  });
  test('prod with plain HTTP', () => {
    const doc = { ...validDoc(), alb: { allowPlainHttp: true } };
    expect(problemsOf(doc)).toEqual([`${F}: alb.allowPlainHttp: must be false in prod (got true)`]);
  });
  test('a dev file may turn them off', () => {
    expect(
      problemsOf({ ...validDoc('dev'), database: { multiAz: false, deletionProtection: false } }, 'dev'),
    ).toEqual([]);
  });
  test('tier is inferred from the name, or required', () => {
    expect(problemsOf({ ...validDoc(), name: 'qa' }, 'qa')).toEqual([
      'environments/qa.yaml: tier: must be one of dev, staging, prod (required when the name is not a tier)',
    ]);
    expect(problemsOf({ ...validDoc(), name: 'qa', tier: 'prod' }, 'qa')).toEqual([]);
  });
});

describe('ALB', () => {
  test('no certificate and no explicit plain-HTTP opt-in', () => {
    expect(problemsOf({ ...validDoc('dev'), alb: {} }, 'dev')).toEqual([
      'environments/dev.yaml: alb.certificateArn: required: set an ACM certificate ARN, or opt in to plain HTTP with alb.allowPlainHttp: true',
    ]);
  });
  test('certificate from another region', () => {
    const alb = { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' };
    expect(problemsOf({ ...validDoc(), alb })).toEqual([
      `${F}: alb.certificateArn: must be a certificate in eu-west-1, the load balancer's region (got "arn:aws:acm:us-east-1:123456789012:certificate/abc")`,
    ]);
  });
  test('test listener open to the internet', () => {
    const alb = { allowPlainHttp: true, testListener: { allowedCidrs: ['0.0.0.0/0'] } };
    expect(problemsOf({ ...validDoc('dev'), alb }, 'dev')).toEqual([
      'environments/dev.yaml: alb.testListener.allowedCidrs[0]: must not open the test listener to the internet (a prefix of /8 or narrower) (got "0.0.0.0/0")',
    ]);
  });
  test('test listener wider than /8 is the internet too', () => {
    const alb = { allowPlainHttp: true, testListener: { allowedCidrs: ['10.0.0.0/8', '0.0.0.0/1'] } };
    expect(problemsOf({ ...validDoc('dev'), alb }, 'dev')).toEqual([
      'environments/dev.yaml: alb.testListener.allowedCidrs[1]: must not open the test listener to the internet (a prefix of /8 or narrower) (got "0.0.0.0/1")',
    ]);
  });
  test('without NAT the test listener needs its CIDRs listed', () => {
    const doc: Record<string, unknown> = {
      ...validDoc(),
      vpc: {
        cidr: '10.30.0.0/16',
        natGateways: 'none',
        interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'],
      },
    };
    expect(problemsOf(doc)).toEqual([
      `${F}: alb.testListener.allowedCidrs: must list the testers' CIDRs when vpc.natGateways is "none" (by default only the NAT gateways' public IPs may reach the test listener, and there are none) (got null)`,
    ]);
    const withCidrs = {
      ...doc,
      alb: { ...(doc.alb as object), testListener: { allowedCidrs: ['192.0.2.0/24'] } },
    };
    expect(problemsOf(withCidrs)).toEqual([]);
  });
});

describe('identity and promotion', () => {
  test('environment name must match its file name', () => {
    expect(problemsOf({ ...validDoc(), name: 'production' })).toEqual([
      `${F}: name: must match the file name "prod" (got "production")`,
    ]);
  });
  test('promotion.from must name an existing environment', () => {
    expect(problemsOf({ ...validDoc(), promotion: { from: 'qa' } })).toEqual([
      `${F}: promotion.from: must name an environment in environments/ (dev, staging, prod) (got "qa")`,
    ]);
    expect(problemsOf({ ...validDoc(), promotion: { from: 'prod' } })).toEqual([
      `${F}: promotion.from: must name another environment (got "prod")`,
    ]);
  });
  test('an environment in its own account locks with the S3 lock file (the lock table is out of reach)', () => {
    expect(problemsOf({ ...validDoc(), accountId: '999999999999' })).toEqual([
      `${F}: state.locking: must be "s3-native" for an environment in its own account (999999999999, the state bucket is in 123456789012): the DynamoDB lock table is not reachable across accounts (got "dynamodb")`,
    ]);
    expect(problemsOf({ ...validDoc(), accountId: '999999999999', state: { locking: 's3-native' } })).toEqual(
      [],
    );
  });
  test('suppressions name a known guardrail rule', () => {
    const reason = 'flow logs hold no payloads here';
    expect(
      problemsOf({ ...validDoc(), guardrails: { suppressions: [{ ruleId: 'SY-LOG-9', reason }] } }),
    ).toEqual([
      `${F}: guardrails.suppressions[0].ruleId: unknown guardrail rule (did you mean "SY-LOG-1"?) (got "SY-LOG-9")`,
    ]);
    expect(
      problemsOf({ ...validDoc(), guardrails: { suppressions: [{ ruleId: 'SY-LOG-1', reason }] } }),
    ).toEqual([]);
  });
  test('suppressions need a written reason', () => {
    expect(
      problemsOf({ ...validDoc(), guardrails: { suppressions: [{ ruleId: 'SY-LOG-1', reason: 'short' }] } }),
    ).toEqual([
      `${F}: guardrails.suppressions[0].reason: must explain why the rule does not apply (at least 10 characters) (got "short")`,
    ]);
  });
});

test('every problem of a file is listed at once', () => {
  const doc = {
    ...validDoc(),
    name: 'production',
    vpc: { cidr: '10.30.0.0/16', azCount: 5 },
    database: { multiAz: false },
    services: [
      { name: 'api', imageRepository: 'switchyard/api', containerPort: 8080, cpu: 256, memory: 4096 },
    ],
  };
  expect(problemsOf(doc)).toEqual([
    `${F}: vpc.azCount: must be 2 or 3 (got 5)`,
    `${F}: name: must match the file name "prod" (got "production")`,
    `${F}: services[0].memory: must be 512, 1024 or 2048 for cpu 256 (Fargate) (got 4096)`,
    `${F}: database.multiAz: must be true in prod (got false)`,
  ]);
});

describe('defaults per tier', () => {
  test('tier defaults are applied and YAML overrides them', () => {
    const dev = resolved({ ...validDoc('dev'), vpc: { cidr: '10.10.0.0/16' } }, 'dev');
    const prod = resolved(withService({ desiredCount: 4 }));
    expect(dev.vpc).toMatchObject({
      azCount: 2,
      natGateways: 'single',
    });
    // Not listed: the VPC module reads the region's zones at plan time (no `<region>a/b` guess).
    expect(dev.vpc.availabilityZones).toBeUndefined();
    expect(prod.vpc).toMatchObject({ azCount: 3, natGateways: 'per-az', flowLogRetentionDays: 365 });
    expect(dev.database).toMatchObject({ multiAz: false, deletionProtection: false, backupRetentionDays: 1 });
    expect(prod.database).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      storageKms: 'customer-managed',
    });
    expect(prod.cache).toMatchObject({
      automaticFailover: true,
      multiAz: true,
      replicas: 2,
      engineVersion: '8.0',
    });
    expect(prod.services[0]).toMatchObject({
      cpu: 512,
      memory: 1024,
      desiredCount: 4,
      deregistrationDelaySeconds: 30,
    });
    expect(prod.services[0].routing).toEqual({ pathPattern: '/*', priority: 100 });
    expect(prod.services[0].deploy).toMatchObject({ strategy: 'canary', terminationWaitSeconds: 330 });
    expect(dev.services[0].deploy.strategy).toBe('all-at-once');
    expect(prod.protection.preventDestroy).toBe(true);
    // Only the NAT gateways' IPs (added by the stack) unless the YAML lists more.
    expect(dev.alb.testListener.allowedCidrs).toEqual([]);
  });
  test("state location defaults to the bootstrap bucket and table, and the environment's own key", () => {
    expect(resolved(validDoc()).state).toEqual({
      bucket: 'switchyard-tfstate-123456789012',
      lockTable: 'switchyard-tfstate-lock',
      region: 'eu-west-1',
      kmsKeyId: `arn:aws:kms:eu-west-1:123456789012:alias/switchyard-${validDoc().name}-tfstate`,
      locking: 'dynamodb',
    });
    // In its own account: its key is there (the bucket's region).
    const own = resolved({ ...validDoc(), accountId: '999999999999', state: { locking: 's3-native' } });
    expect(own.state.kmsKeyId).toBe(
      `arn:aws:kms:eu-west-1:999999999999:alias/switchyard-${validDoc().name}-tfstate`,
    );
    expect(own.toolingAccountId).toBe('123456789012');
  });
});

describe('loadConfiguration (files)', () => {
  test('loads every environment, ignores project.yaml, orders dev, staging, prod', () => {
    const dir = tempEnvironments(validFiles());
    const c = loadConfiguration({ dir });
    expect(c.all.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(c.selected.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(loadConfiguration({ dir, requested: 'prod, dev' }).selected.map((e) => e.name)).toEqual([
      'dev',
      'prod',
    ]);
  });
  test('bootstrap may be named; alone it selects no environment', () => {
    const dir = tempEnvironments(validFiles());
    expect(loadConfiguration({ dir, requested: 'bootstrap' }).selected).toEqual([]);
    expect(loadConfiguration({ dir, requested: 'dev,bootstrap' }).selected.map((e) => e.name)).toEqual([
      'dev',
    ]);
  });
  test('reserved name and .yml files are refused', () => {
    const files = validFiles();
    files['bootstrap.yaml'] = { ...validDoc('dev'), name: 'bootstrap', tier: 'dev' };
    files['qa.yml'] = validDoc('dev');
    expect(() => loadConfiguration({ dir: tempEnvironments(files) })).toThrow(
      [
        'environments/bootstrap.yaml: the name "bootstrap" is reserved for the bootstrap stack; rename the file and its name field',
        'environments/qa.yml: environment files end in .yaml; rename it to qa.yaml',
      ].join('\n'),
    );
  });
  test('unknown environment asked for', () => {
    const dir = tempEnvironments(validFiles());
    expect(() => loadConfiguration({ dir, requested: 'dev,qa' })).toThrow(
      'SWITCHYARD_ENVS: unknown environment "qa"; known environments: dev, staging, prod (files in environments/)',
    );
  });
  test('problems of every file are listed together', () => {
    const files = validFiles();
    files['prod.yaml'] = { ...(files['prod.yaml'] as object), vpc: { cidr: '10.30.0.0/16', azCount: 5 } };
    files['dev.yaml'] = 'name: dev\nvpc: [unclosed\n';
    const dir = tempEnvironments(files);
    let problems: readonly string[] = [];
    try {
      loadConfiguration({ dir });
    } catch (e) {
      problems = (e as { problems: string[] }).problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^environments\/dev\.yaml: line \d+: /);
    expect(problems[1]).toBe('environments/prod.yaml: vpc.azCount: must be 2 or 3 (got 5)');
  });
  test('missing or invalid project.yaml', () => {
    const files = validFiles();
    delete files['project.yaml'];
    expect(() => loadConfiguration({ dir: tempEnvironments(files) })).toThrow(
      'environments/project.yaml: missing; it names the project, the AWS account and the GitHub repository',
    );
    files['project.yaml'] = {
      project: 'switchyard',
      accountId: '123456789012',
      region: 'eu-west-1',
      github: { repository: 'nope' },
    };
    expect(() => loadConfiguration({ dir: tempEnvironments(files) })).toThrow(
      'environments/project.yaml: github.repository: must be "owner/repo" (got "nope")',
    );
  });
});

describe('accounts and GitHub subjects (project.yaml)', () => {
  const withProject = (github: Record<string, unknown>) => {
    const files = validFiles();
    const project = files['project.yaml'] as Record<string, unknown>;
    return { ...files, 'project.yaml': { ...project, github: { ...(project.github as object), ...github } } };
  };
  test('the immutable subject format needs both numeric ids, named in the message', () => {
    expect(() =>
      loadConfiguration({ dir: tempEnvironments(withProject({ subjectFormat: 'immutable' })) }),
    ).toThrow(
      /github\.ownerId: is required when subjectFormat is "immutable"[\s\S]*github\.repositoryId: is required/,
    );
    expect(() =>
      loadConfiguration({
        dir: tempEnvironments(withProject({ subjectFormat: 'both', ownerId: '12*', repositoryId: '3' })),
      }),
    ).toThrow(/github\.ownerId: must be a numeric GitHub id/);
    const ok = loadConfiguration({
      dir: tempEnvironments(withProject({ subjectFormat: 'both', ownerId: '12', repositoryId: '34' })),
    });
    expect(ok.project.github).toMatchObject({ subjectFormat: 'both', ownerId: '12', repositoryId: '34' });
  });
  test('two environments of one account whose names share a dash prefix are refused', () => {
    const files = {
      ...validFiles(),
      'prod-eu.yaml': {
        ...validDoc('prod'),
        name: 'prod-eu',
        tier: 'prod',
        vpc: { cidr: '10.40.0.0/16', azCount: 3 },
      },
    };
    expect(() => loadConfiguration({ dir: tempEnvironments(files) })).toThrow(
      /prod-eu\.yaml: name: must not start with "prod" while prod is in the same account/,
    );
  });
});
