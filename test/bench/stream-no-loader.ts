// For LOCAL_PIPELINES_MODULE in the soak benchmark: the stream pipeline without its loader, so that the
// peak RSS measured is Firehose's share (edge, stores, buffers, the transform's worker) alone.
import { streamEtl } from '../../pipelines/stream-etl/definition.ts';
import type { PipelineDefinition } from '../../pipelines/types.ts';

export const pipelines: readonly PipelineDefinition[] = [
  { ...streamEtl, functions: streamEtl.functions.filter((f) => f.id !== 'stream-loader') },
];
