/**
 * The dependency rules between rooms: which folder may import which. `npm run deps` checks them (and
 * test/checks/static-checks.test.ts, inside `npm test`); a violation names its rule, this file says why the
 * rule exists. Type-only imports count too: a type from the wrong room still couples the rooms.
 * No exemptions: every rule holds as written.
 */

/**
 * Product code: what ships (the stack, the Lambda code, the client and its SDK clients) or runs for a user
 * (the local AWS, the `npm start` scenario).
 */
const PRODUCT = '^(lib|lambdas|client|sdk|local|scenario)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules import each other in a cycle: neither can be understood, tested or moved without the other, ' +
        'and in CommonJS one of them sees the other half-initialised. Move what both need into a third module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the cruiser cannot resolve is one no rule below can check (a typo, or a file that moved).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'lambdas-import-no-other-room',
      comment:
        'lambdas/ is bundled into the Lambda functions: whatever it imports ships in every bundle (one import of ' +
        'lib/config pulls in full zod and the pipeline list). What the Lambda code shares with the rest is a ' +
        'contract and lives in lambdas/shared/. (test/ and bench/: see product-code-imports-no-test-or-bench.)',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '^(lib|local|client|sdk|bin|scenario)/' },
    },
    {
      name: 'lambdas-shared-imports-no-lambda-code',
      comment:
        'lambdas/shared/ holds the contracts (envelope, DLQ message, metric names, environment, tables) that the ' +
        'stack, the client, the CLI and the demo import: importing the processor or an action from there would ' +
        'drag Lambda code into all of them.',
      severity: 'error',
      from: { path: '^lambdas/shared/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/shared/' },
    },
    {
      name: 'lib-imports-only-contracts',
      comment:
        'lib/ is the stack and its configuration: it knows the Lambda code only through the contracts in ' +
        'lambdas/shared/ (the functions are bundled from their entry files, not imported), and knows nothing of ' +
        'the client or the local AWS.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(lambdas|client|local|scenario)/', pathNot: '^lambdas/shared/' },
    },
    {
      name: 'client-imports-only-contracts',
      comment:
        'client/ is the library upstream applications embed: it may use the contracts in lambdas/shared/ ' +
        '(envelope, DLQ message) and the SDK clients (sdk/), not the stack or its configuration (lib/), the ' +
        'Lambda code, or the local AWS. A caller that knows the configuration (the CLI) resolves names and passes them in.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(lib|local|lambdas|scenario)/', pathNot: '^lambdas/shared/' },
    },
    {
      name: 'local-imports-no-product-code',
      comment:
        'local/ emulates AWS, nothing more: it deploys whatever template it is given and runs whatever handler ' +
        'the template names, exactly as AWS would. Knowing the stack, the Lambda code or the client would let ' +
        'it agree with our code where AWS might not. (It may use the SDK clients, sdk/, as any AWS user does; the ' +
        'stack name is passed in by its caller.)',
      severity: 'error',
      from: { path: '^local/' },
      to: { path: '^(lib|lambdas|client|scenario)/' },
    },
    {
      name: 'sdk-imports-nothing-of-ours',
      comment:
        'sdk/ is how every room reaches AWS from outside Lambda: client/, local/ and the scenario all build on it, so it ' +
        'can know none of them, nor anything else of ours but the shared contracts (lambdas/shared/: the Kinesis ' +
        'HTTP/1.1 rule is one the Lambda code needs too).',
      severity: 'error',
      from: { path: '^sdk/' },
      to: { path: '^(bin|lib|lambdas|client|local|scenario|test|bench)/', pathNot: '^lambdas/shared/' },
    },
    {
      name: 'scenario-judges-through-contracts',
      comment:
        'scenario/ (the `npm start` run) drives the product from outside and judges what it did: it reads the ' +
        'configuration (lib/config/), uses the client and the SDK clients, and knows the Lambda code only through ' +
        'its contracts (lambdas/shared/) and the local AWS only through its contract (local/contracts.ts). Judging ' +
        'the processor with its own code would let the judge agree with a bug; the stack is reached by its names.',
      severity: 'error',
      from: { path: '^scenario/' },
      to: {
        path: '^(lambdas|lib|local)/',
        pathNot: ['^lambdas/shared/', '^lib/config/', '^local/contracts\\.ts$'],
      },
    },
    {
      name: 'only-npm-start-and-tests-import-the-scenario',
      comment:
        'scenario/ is the `npm start` run: bin/start.ts runs it and test/scenario/ checks it. Nothing else imports ' +
        'it (the operator CLI in particular: what the CLI and the scenario share lives in client/operations/).',
      severity: 'error',
      from: { pathNot: '^(scenario/|test/|bin/start\\.ts$)' },
      to: { path: '^scenario/' },
    },
    {
      name: 'product-code-imports-no-test-or-bench',
      comment:
        'test/ and bench/ sit on top of everything: they may import any room, and no product code imports them ' +
        '(test support that product code needs is product code and lives in its room).',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'only-tests-import-entry-points',
      comment:
        'bin/ holds the entry points (CDK app, CLI, npm start): they wire the rooms together and nothing but ' +
        'bin/ itself and the tests imports them. What two entry points share lives in a room they both import.',
      severity: 'error',
      from: { pathNot: '^(bin|test)/' },
      to: { path: '^bin/' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Generated and ignored by git: cdk.out and its bundles, the emulators' data, reports, the built package (dist).
    // examples/: apps of their own that import this one as a package (`stream-pipeline`), not rooms of it; the
    // package resolves only once linked (test/examples/ does), and they are checked by their own tsc there.
    exclude: { path: ['(^|/)(node_modules|cdk\\.out|[^/]+\\.out|\\.local-aws|reports|dist)/', '^examples/'] },
    // Type-only imports are dependencies too (see above).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      // '.d.ts': type-only packages such as @types/aws-lambda (imported as 'aws-lambda').
      extensions: ['.ts', '.d.ts', '.js', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
