// Every pipeline this project deploys. infra/cdk and infra/local iterate over this list; adding a
// pipeline means adding its definition here and nowhere else.
import { alarmToSlack } from './alarm-to-slack/definition.ts';
import { eventsApi } from './events-api/definition.ts';
import { imageResize } from './image-resize/definition.ts';
import { streamEtl } from './stream-etl/definition.ts';
import type { FunctionSpec, PipelineDefinition } from './types.ts';

export const pipelines: readonly PipelineDefinition[] = [imageResize, alarmToSlack, streamEtl, eventsApi];

/**
 * Pipelines being built: their folder holds tested logic, settings, entry points (`handlers/<name>-*.ts`)
 * and a README saying what is missing, but no definition yet, so neither runtime deploys or runs them.
 * A pipeline leaves this list when its definition joins `pipelines`.
 */
export const underConstruction: readonly string[] = [];

export function allFunctions(): FunctionSpec[] {
  return pipelines.flatMap((p) => p.functions);
}

export type * from './types.ts';
export { alarmToSlack, eventsApi, imageResize, streamEtl };
