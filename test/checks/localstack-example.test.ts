/**
 * The LocalStack CI example (examples/localstack/) cannot run here (no Docker), so this checks what can be
 * checked without it: the workflow and the compose file agree with each other and with test/run-tests.ts,
 * the image is pinned, no token is written down, and the workflow is not live in this repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, 'examples', 'localstack');
const compose = readFileSync(join(DIR, 'docker-compose.yml'), 'utf8');
const workflow = readFileSync(join(DIR, 'github-workflow.yml'), 'utf8');
const runner = readFileSync(join(ROOT, 'test', 'run-tests.ts'), 'utf8');

test('the compose file pins an image that starts without a token, and only reads the token from the environment', () => {
  assert.match(compose, /image: "localstack\/localstack:\$\{LOCALSTACK_TAG:-4\.14\.0\}"/);
  assert.match(compose, /LOCALSTACK_AUTH_TOKEN=\$\{LOCALSTACK_AUTH_TOKEN:-\}/);
  assert.doesNotMatch(compose + workflow, /ls-[A-Za-z0-9]{8,}/, 'no auth token value in the files');
  assert.match(compose, /NOT RUN BY THIS PROJECT/);
});

test('the workflow points the suite at the compose file\'s port and runs npm test, which deploys with cdklocal', () => {
  const port = /"127\.0\.0\.1:(\d+):4566"/.exec(compose)?.[1];
  assert.equal(port, '4566');
  assert.match(workflow, new RegExp(`AWS_ENDPOINT_URL: http://localhost:${port}\\b`));
  assert.match(workflow, /docker compose -f examples\/localstack\/docker-compose\.yml up -d --wait/);
  assert.match(workflow, /run: npm ci\n/);
  assert.match(workflow, /run: npm test\n/);
  assert.match(workflow, /LOCALSTACK_TAG: \$\{\{ vars\.LOCALSTACK_TAG \|\| '4\.14\.0' \}\}/);
  // The suite's own switch: AWS_ENDPOINT_URL starts no emulator and deploys with cdklocal.
  assert.match(runner, /process\.env\.AWS_ENDPOINT_URL/);
  assert.match(runner, /\['cdklocal', 'bootstrap'\], \['cdklocal', 'deploy', '--all', '--app', 'cdk\.out'/);
  assert.match(workflow, /NOT LIVE IN THIS REPOSITORY AND NEVER RUN BY US/);
});

test('the workflow is not live here (this CI has no Docker)', () => {
  assert.equal(existsSync(join(ROOT, '.github', 'workflows', 'localstack.yml')), false);
});
