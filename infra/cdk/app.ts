// CDK app entry point (cdk.json: `npx tsx infra/cdk/app.ts`). Everything is built in build.ts.
import { buildApp } from './build.ts';

buildApp();
