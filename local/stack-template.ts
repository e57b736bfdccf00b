import { App } from 'aws-cdk-lib';
import { projectContext } from '../lib/config/cdk-context';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { LOCAL_STAGE } from '../lib/config/stages';
import { OtakumoriStack } from '../lib/otakumori-stack';
import { ENTRY_METADATA_KEY } from '../lib/constructs/pipeline-function';

/**
 * Reads the synthesized CloudFormation template — the same one `cdk synth` emits — and turns it
 * into what the local runtime runs: each Lambda's handler file and environment, each state
 * machine's definition, and the table's key schema.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_STACK_NAME = 'OtakumoriOrderPipeline';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

export interface LocalFunction {
  logicalId: string;
  arn: string;
  /** handler source relative to the project root */
  entry: string;
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  definition: StateMachineDefinition;
}

export interface LocalTableSchema {
  logicalId: string;
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  globalSecondaryIndexes: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
}

export interface LocalRouteSpec {
  method: string;
  path: string;
  functionArn: string;
}

export interface LocalStack {
  functions: LocalFunction[];
  routes: LocalRouteSpec[];
  stateMachines: LocalStateMachine[];
  table: LocalTableSchema;
}

/**
 * Synthesizes the `local` stage's stack in-process (not lib/config/stages.ts: local values from
 * `context`), without bundling (the local runtime runs the sources).
 */
export function synthesizeTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  const app = new App({
    context: {
      ...projectContext(),
      'aws:cdk:bundling-stacks': [],
      printifyShopId: 'local-shop',
      emailFrom: 'orders@otakumori.local',
      ...context,
    },
  });
  const stack = new OtakumoriStack(app, LOCAL_STACK_NAME, {
    env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    // the `local` stage: local values, test-mode Stripe events (the trigger script signs test-mode ones)
    stage: LOCAL_STAGE,
    stripeLivemode: false,
    printifyShopId: app.node.tryGetContext('printifyShopId') as string,
    emailFrom: app.node.tryGetContext('emailFrom') as string,
    petalRates: app.node.tryGetContext('petalRates') as string | undefined,
  });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

const arnOf = (type: string, logicalId: string): string | undefined => {
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${logicalId}`;
    default:
      return undefined;
  }
};

/** Resolves the intrinsic functions our template uses (Ref, Fn::GetAtt Arn, Fn::Join, pseudo parameters). */
export class TemplateResolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly tableName: string,
  ) {}

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = value[key]!;
      if (key === 'Ref') return this.ref(arg as string);
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = arg as [string, string];
        if (attribute !== 'Arn') throw new Error(`local runtime cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
        return this.arn(logicalId);
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, Json[]];
        return parts.map((p) => String(this.resolve(p))).join(separator);
      }
      if (key.startsWith('Fn::')) throw new Error(`local runtime cannot resolve ${key}`);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
    }
    const resource = this.resource(name);
    if (resource.Type === 'AWS::DynamoDB::Table') return this.tableName;
    if (resource.Type === 'AWS::Lambda::Function') return name;
    return this.arn(name);
  }

  private arn(logicalId: string): string {
    const resource = this.resource(logicalId);
    const arn = arnOf(resource.Type, logicalId);
    if (!arn) throw new Error(`local runtime has no ARN for ${resource.Type} ${logicalId}`);
    return arn;
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`template has no resource ${logicalId}`);
    return resource;
  }
}

function ofType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Everything the local runtime needs from the template, resolved against a local table name. */
export function readLocalStack(template: CfnTemplate, tableName: string): LocalStack {
  const resolver = new TemplateResolver(template, tableName);
  const functions = ofType(template, 'AWS::Lambda::Function')
    .filter(([, r]) => typeof r.Metadata?.[ENTRY_METADATA_KEY] === 'string')
    .map(([logicalId, r]): LocalFunction => {
      const props = r.Properties ?? {};
      const variables = ((props.Environment as { Variables?: Json } | undefined)?.Variables ?? {}) as Json;
      const environment = resolver.resolve(variables) as Record<string, string>;
      const handler = String(props.Handler ?? 'index.handler');
      return {
        logicalId,
        arn: arnOf(r.Type, logicalId)!,
        entry: r.Metadata![ENTRY_METADATA_KEY] as string,
        handler: handler.slice(handler.lastIndexOf('.') + 1),
        environment,
        timeoutSeconds: Number(props.Timeout ?? 3),
      };
    });
  const stateMachines = ofType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, r]): LocalStateMachine => {
    const definitionString = resolver.resolve(r.Properties!.DefinitionString!) as string;
    return {
      logicalId,
      name: logicalId,
      arn: arnOf(r.Type, logicalId)!,
      definition: JSON.parse(definitionString) as StateMachineDefinition,
    };
  });
  const routes = ofType(template, 'AWS::ApiGatewayV2::Route').map(([logicalId, r]): LocalRouteSpec => {
    const [method, path] = String(r.Properties?.RouteKey).split(' ') as [string, string];
    // Target is "integrations/<Ref integration>"; the integration's URI is the function's ARN.
    const target = JSON.stringify(r.Properties?.Target ?? null);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    const integration = integrationId ? template.Resources[integrationId] : undefined;
    if (!integration?.Properties?.IntegrationUri) throw new Error(`route ${logicalId} has no Lambda integration`);
    return { method, path, functionArn: String(resolver.resolve(integration.Properties.IntegrationUri)) };
  });
  const tables = ofType(template, 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`expected one table in the template, found ${tables.length}`);
  const [tableId, tableResource] = tables[0]!;
  const tableProps = tableResource.Properties as unknown as {
    KeySchema: LocalTableSchema['keySchema'];
    AttributeDefinitions: LocalTableSchema['attributeDefinitions'];
    GlobalSecondaryIndexes?: LocalTableSchema['globalSecondaryIndexes'];
  };
  return {
    functions,
    routes,
    stateMachines,
    table: {
      logicalId: tableId,
      keySchema: tableProps.KeySchema,
      attributeDefinitions: tableProps.AttributeDefinitions,
      globalSecondaryIndexes: tableProps.GlobalSecondaryIndexes ?? [],
    },
  };
}
