// Builds the CDK app (used by app.ts and by the tests): one EventPipelinesStack from pipelines/index.ts,
// env-agnostic (no account/region lookups, so synthesis needs no credentials), checked by cdk-nag's
// AwsSolutionsChecks, which fails synthesis on any unacknowledged finding.
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { pipelines as allPipelines } from '../../pipelines/index.ts';
import type { PipelineDefinition } from '../../pipelines/types.ts';
import { readSettings } from './settings.ts';
import { EventPipelinesStack } from './stack.ts';

export interface BuildOptions extends AppProps {
  /** Defaults to every pipeline in pipelines/index.ts. */
  pipelines?: readonly PipelineDefinition[];
}

export function buildApp(opts: BuildOptions = {}): { app: App; stack: EventPipelinesStack } {
  const { pipelines = allPipelines, ...appProps } = opts;
  const app = new App(appProps);
  const settings = readSettings(app.node);
  // The stack writes its own template description, naming the pipelines it was built from.
  const stack = new EventPipelinesStack(app, settings.stackName, { pipelines, settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
