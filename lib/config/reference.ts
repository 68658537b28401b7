/**
 * The configuration reference, generated from the schema itself: field paths and descriptions from
 * the JSDoc comments in ./schema.ts, types, ranges and defaults from the zod schema (as JSON Schema).
 * So the docs cannot drift from what `parseConfig` accepts. Printed by `npx tsx bin/stack-docs.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema } from './schema';

export interface ConfigField {
  /** e.g. `pipelines[].eventSource.batchSize` */
  readonly path: string;
  readonly type: string;
  /** The default as JSON, or '' when the field is required or has no default. */
  readonly defaultValue: string;
  readonly description: string;
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
}

/** The files whose object schemas (and their JSDoc) make up the configuration. */
const SCHEMA_FILES = [path.join(__dirname, 'schema.ts'), ...['telemetry-config.ts', 'windows-config.ts'].map((file) => path.join(__dirname, '..', '..', 'lambdas', 'shared', file))];

/** `z._default(z.record(...), …)` and `z.optional(z.array(...))` (zod/mini's wrappers) are records and arrays too. */
const WRAPPERS = /^(?:z\.(?:_default|optional|nullable)\()+/;

/** Every field of the configuration, in declaration order. */
export function configFields(): ConfigField[] {
  const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return documentedPaths().map(({ path: fieldPath, description }) => {
    const { node, required } = schemaAt(json, fieldPath);
    return {
      path: fieldPath,
      type: describeType(node),
      defaultValue: node.default === undefined ? (required ? '(required)' : '') : JSON.stringify(node.default),
      description,
    };
  });
}

/** The reference as a Markdown table. */
export function configReferenceMarkdown(): string {
  const rows = configFields().map((f) => `| \`${f.path}\` | ${escape(f.type)} | ${f.defaultValue ? `\`${escape(f.defaultValue)}\`` : ''} | ${escape(f.description)} |`);
  return ['| field | type and range | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** Walks the schema files: each documented property of the object schemas, with its path from the root. */
function documentedPaths(): { path: string; description: string }[] {
  const schemaVars = new Map<string, ts.ObjectLiteralExpression>();
  for (const file of SCHEMA_FILES) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((statement) => {
      if (!ts.isVariableStatement(statement)) return;
      for (const decl of statement.declarationList.declarations) {
        const literal = decl.initializer && firstObjectLiteral(decl.initializer);
        if (ts.isIdentifier(decl.name) && literal) schemaVars.set(decl.name.text, literal);
      }
    });
  }
  const out: { path: string; description: string }[] = [];
  const visit = (literal: ts.ObjectLiteralExpression, prefix: string): void => {
    const source = literal.getSourceFile();
    for (const prop of literal.properties) {
      if (!ts.isPropertyAssignment(prop) || !(ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) continue;
      const init = prop.initializer;
      const text = init.getText(source).replace(WRAPPERS, '');
      const fieldPath = `${prefix}${prop.name.text}${text.startsWith('z.array(') ? '[]' : text.startsWith('z.record(') ? '.<name>' : ''}`;
      out.push({ path: fieldPath, description: jsDocOf(prop, source) });
      const nested = firstObjectLiteral(init) ?? identifiersIn(init).map((id) => schemaVars.get(id)).find((l) => l !== undefined);
      if (nested) visit(nested, `${fieldPath}.`);
    }
  };
  const root = schemaVars.get('configSchema');
  if (!root) throw new Error('configSchema not found in schema.ts');
  visit(root, '');
  return out;
}

/** The first object literal passed to z.strictObject / z.object in an expression (not in .default()). */
function firstObjectLiteral(expr: ts.Expression): ts.ObjectLiteralExpression | undefined {
  let found: ts.ObjectLiteralExpression | undefined;
  const search = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['strictObject', 'object', 'looseObject'].includes(node.expression.name.text)) {
      const arg = node.arguments[0];
      if (arg && ts.isObjectLiteralExpression(arg) && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'z') {
        found = arg;
        return;
      }
    }
    node.forEachChild(search);
  };
  search(expr);
  return found;
}

function identifiersIn(expr: ts.Expression): string[] {
  const ids: string[] = [];
  const search = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) ids.push(node.text);
    node.forEachChild(search);
  };
  search(expr);
  return ids;
}

function jsDocOf(node: ts.Node, source: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(source.getFullText(), node.getFullStart()) ?? [];
  return ranges
    .map((r) => source.getFullText().slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .map((c) =>
      c
        .replace(/^\/\*\*|\*\/$/g, '')
        .split('\n')
        .map((line) => line.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join(' '),
    )
    .join(' ');
}

/** The JSON Schema node at a documented path, and whether the field is required there. */
function schemaAt(root: JsonSchema, fieldPath: string): { node: JsonSchema; required: boolean } {
  let node = root;
  let required = true;
  for (const raw of fieldPath.split('.')) {
    const name = raw.replace(/\[\]$/, '');
    if (name === '<name>') {
      node = typeof node.additionalProperties === 'object' ? node.additionalProperties : {};
      continue;
    }
    // A union of a value and an object (`action`: a name or `{ entry, kind }`): the fields are the object's.
    if (!node.properties && node.anyOf) node = node.anyOf.find((branch) => branch.properties) ?? node;
    required = node.required?.includes(name) ?? false;
    node = node.properties?.[name] ?? {};
    if (raw.endsWith('[]')) node = { ...node.items, default: node.default, minItems: node.minItems } as JsonSchema;
  }
  return { node, required };
}

function describeType(schema: JsonSchema): string {
  // zod writes "no upper bound" for integers as the largest safe integer: leave it out.
  const node = schema.maximum === Number.MAX_SAFE_INTEGER ? { ...schema, maximum: undefined } : schema;
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.anyOf?.every((o) => o.const !== undefined)) return `one of ${node.anyOf.map((o) => String(o.const)).join(', ')}`;
  if (node.anyOf) return node.anyOf.map(describeType).join(', or ');
  const range = [
    node.minimum !== undefined && node.maximum !== undefined ? `${node.minimum}–${node.maximum}` : '',
    node.minimum !== undefined && node.maximum === undefined ? `≥ ${node.minimum}` : '',
    node.minimum === undefined && node.maximum !== undefined ? `≤ ${node.maximum}` : '',
    node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : '',
    node.minLength !== undefined || node.maxLength !== undefined ? `${node.minLength ?? 0}–${node.maxLength ?? '∞'} chars` : '',
    node.pattern && !node.format ? `\`${node.pattern}\`` : '',
    node.format ? node.format : '',
    node.minItems ? `at least ${node.minItems}` : '',
  ].filter(Boolean);
  const type = node.type === 'integer' ? 'integer' : node.type ?? 'object';
  return [type, ...range].join(', ');
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
