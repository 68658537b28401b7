/**
 * The dependency rules between rooms: which folder may import which. `npm run deps` checks them (and
 * test/checks/deps.test.ts, inside `npm test`); a violation names its rule, this file says why the rule exists.
 * Type-only imports count too: a type from the wrong room still couples the rooms.
 *
 * Temporary exemptions are listed per rule in `exempt` below, each with its reason and the issue that
 * removes it: an exemption covers exactly the files (and targets) it names, so every new wrong-room
 * import fails.
 */

/** Product code: what ships (the stack, the Lambda code, the client) or runs for a user (the local AWS, the demo). */
const PRODUCT = '^(lib|lambdas|client|local|scenario)/';

/**
 * A forbidden rule with exemptions. Each exemption names the importing files (`from`, a path regex) and,
 * optionally, the only targets it may import despite the rule (`to`); without `to` the files are exempt from
 * the whole rule. Expands into one depcruise rule for everything else plus one per exemption with a `to`,
 * all under the rule's name.
 */
function withExemptions(rule, exemptions) {
  const exemptFrom = exemptions.map((exemption) => exemption.from);
  const rest = { ...rule, from: { ...rule.from, pathNot: [...(rule.from.pathNot ?? []), ...exemptFrom] } };
  const partial = exemptions
    .filter((exemption) => exemption.to !== undefined)
    .map((exemption) => ({
      ...rule,
      from: { path: exemption.from },
      to: { ...rule.to, pathNot: [...(rule.to.pathNot ?? []), exemption.to] },
    }));
  return [rest, ...partial];
}

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
      to: { path: '^(lib|local|client|bin|scenario)/' },
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
    ...withExemptions(
      {
        name: 'client-imports-only-contracts',
        comment:
          'client/ is the library upstream applications embed: it may use the contracts in lambdas/shared/ ' +
          '(envelope, DLQ message), not the stack or its configuration (lib/), the Lambda code, or the local AWS.',
        severity: 'error',
        from: { path: '^client/' },
        to: { path: '^(lib|local|lambdas|scenario)/', pathNot: '^lambdas/shared/' },
      },
      [
        // KNOWN VIOLATION, to be fixed (issue 11, thin CLI / one owner per contract): EventProducer.forPipeline
        // reads lib/config to find a pipeline's stream name; the caller (the CLI) should resolve it and pass it in.
        { from: '^client/event-producer\\.ts$', to: '^lib/config/index\\.ts$' },
        // KNOWN VIOLATION, to be fixed (issue 11, contracts in lambdas/shared/ only): the example events take the
        // PipelineConfig type from lib/config and the event type names from the actions; the event types are a
        // contract (lambdas/shared/), the example events take the action name and thresholds they need.
        { from: '^client/examples/pipeline-events\\.ts$', to: '^(lib/config/index|lambdas/actions/(orders|telemetry))\\.ts$' },
      ],
    ),
    ...withExemptions(
      {
        name: 'local-imports-no-product-code',
        comment:
          'local/ emulates AWS, nothing more: it deploys whatever template it is given and runs whatever handler ' +
          'the template names, exactly as AWS would. Knowing the stack, the Lambda code or the client would let ' +
          'it agree with our code where AWS might not.',
        severity: 'error',
        from: { path: '^local/' },
        to: { path: '^(lib|lambdas|client|scenario)/' },
      },
      [
        // TEMPORARY (issue 11, item 1): the `npm start` demo lives in local/scenario/ until it moves to a top-level
        // scenario/ room; it drives the product, so it imports lib/, lambdas/ and client/.
        { from: '^local/scenario/' },
        // TEMPORARY (issue 11, item 1): startLocalAws reads the stack name from lib/config; it is to be passed in.
        { from: '^local/index\\.ts$', to: '^lib/config/index\\.ts$' },
      ],
    ),
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
    // Generated and ignored by git: cdk.out and its bundles, the emulators' data, reports.
    exclude: { path: '(^|/)(node_modules|cdk\\.out|[^/]+\\.out|\\.local-aws|reports)/' },
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
