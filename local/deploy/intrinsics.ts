/**
 * CloudFormation intrinsic functions, resolved against what the local deploy created: Ref, Fn::GetAtt,
 * Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If (with Conditions), Fn::FindInMap, Fn::Base64,
 * Fn::GetAZs and the pseudo parameters. A reference the local target cannot answer is an error that
 * says where it was met, never a silent placeholder.
 */
import type { CfnTemplate } from './template';
import { LocalAwsError } from '../errors';

/** What Ref and Fn::GetAtt return for one deployed resource. */
export interface ResolvedResource {
  readonly type: string;
  /** The value of `Ref`. */
  readonly ref: string;
  /** Values of `Fn::GetAtt` by attribute name. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResolverContext {
  readonly template: CfnTemplate;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /** The deployed resource of a logical id, or undefined when it was not (yet) created. */
  readonly resource: (logicalId: string) => ResolvedResource | undefined;
}

/** `AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/** A template value the local deploy cannot resolve (an intrinsic it does not know, a missing reference). */
export class UnresolvableError extends LocalAwsError {}

export class IntrinsicResolver {
  constructor(private readonly ctx: ResolverContext) {}

  /** Resolves every intrinsic inside `value`; `where` names the property for error messages. */
  resolve(value: unknown, where: string): unknown {
    const out = this.walk(value, where);
    return out === NO_VALUE ? undefined : out;
  }

  /** Resolves to a string, or fails saying what was found instead. */
  resolveString(value: unknown, where: string): string {
    const out = this.resolve(value, where);
    if (typeof out === 'string') return out;
    if (typeof out === 'number' || typeof out === 'boolean') return String(out);
    throw new UnresolvableError(`${where}: expected a string, got ${JSON.stringify(out)}`);
  }

  pseudo(name: string): string | typeof NO_VALUE | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.ctx.region;
      case 'AWS::AccountId':
        return this.ctx.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.ctx.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.ctx.region}:${this.ctx.account}:stack/${this.ctx.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private walk(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value.map((v, i) => this.walk(v, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      if (key === 'Ref' || key.startsWith('Fn::')) return this.intrinsic(key, arg, where);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries) {
      const resolved = this.walk(v, `${where}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown, where: string): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg), where);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? [String(arg[0]), String(this.walk(arg[1], where))] : splitOnce(String(arg), '.');
        return this.getAtt(logicalId, attribute, where);
      }
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown];
        const list = this.walk(parts, where);
        if (!Array.isArray(list)) throw new UnresolvableError(`${where}: Fn::Join needs a list, got ${JSON.stringify(list)}`);
        return list.map((p) => this.asString(p, where)).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.walk(list, where);
        const i = Number(this.walk(index, where));
        if (!Array.isArray(items) || !(i in items)) throw new UnresolvableError(`${where}: Fn::Select index ${i} out of ${JSON.stringify(items)}`);
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return this.asString(this.walk(source, where), where).split(delimiter);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.walk(this.condition(condition, where) ? whenTrue : whenFalse, where);
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return this.evaluateCondition({ [fn]: arg }, where);
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => this.asString(this.walk(a, where), where));
        const found = this.ctx.template.Mappings?.[map as string]?.[top as string]?.[second as string];
        if (found === undefined) throw new UnresolvableError(`${where}: Fn::FindInMap ${map}.${top}.${second} is not in Mappings`);
        return found;
      }
      case 'Fn::Base64':
        return Buffer.from(this.asString(this.walk(arg, where), where)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((az) => `${this.ctx.region}${az}`);
      default:
        throw new UnresolvableError(`${where}: ${fn} is not supported by the local deploy`);
    }
  }

  private ref(name: string, where: string): unknown {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.ctx.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new UnresolvableError(`${where}: parameter ${name} has no default (the local deploy takes no parameter values)`);
      return parameter.Default;
    }
    return this.deployed(name, where).ref;
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const resource = this.deployed(logicalId, where);
    const value = resource.attributes[attribute];
    if (value === undefined) {
      throw new UnresolvableError(`${where}: Fn::GetAtt ${logicalId}.${attribute} is not known for ${resource.type} (known: ${Object.keys(resource.attributes).join(', ') || 'none'})`);
    }
    return value;
  }

  private deployed(logicalId: string, where: string): ResolvedResource {
    const resource = this.ctx.resource(logicalId);
    if (resource) return resource;
    const declared = this.ctx.template.Resources[logicalId];
    if (!declared) throw new UnresolvableError(`${where}: ${logicalId} is not a resource or parameter of the template`);
    throw new UnresolvableError(`${where}: refers to ${logicalId} (${declared.Type}), which the local target does not emulate`);
  }

  private sub(arg: unknown, where: string): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return this.asString(this.walk(variables[name], where), where);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.getAtt(name.slice(0, dot), name.slice(dot + 1), where);
      return this.asString(this.ref(name, where), where);
    });
  }

  private condition(name: string, where: string): boolean {
    const definition = this.ctx.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableError(`${where}: condition ${name} is not in Conditions`);
    return this.evaluateCondition(definition, `${where} (condition ${name})`);
  }

  /** Whether a resource's `Condition` holds (resources without one always exist). */
  resourceExists(condition: string | undefined): boolean {
    return condition === undefined || this.condition(condition, `Condition ${condition}`);
  }

  private evaluateCondition(definition: unknown, where: string): boolean {
    const [fn, arg] = Object.entries(definition as Record<string, unknown>)[0] ?? [];
    const args = arg as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.walk(args[0], where)) === JSON.stringify(this.walk(args[1], where));
      case 'Fn::Not':
        return !this.evaluateCondition(args[0], where);
      case 'Fn::And':
        return args.every((a) => this.evaluateCondition(a, where));
      case 'Fn::Or':
        return args.some((a) => this.evaluateCondition(a, where));
      case 'Condition':
        return this.condition(String(arg), where);
      default:
        throw new UnresolvableError(`${where}: ${String(fn)} is not a condition function`);
    }
  }

  private asString(value: unknown, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new UnresolvableError(`${where}: expected a string, got ${JSON.stringify(value)}`);
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}
