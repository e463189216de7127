// The `cache` resource kind on the local cloud: a valkey-server or redis-server child per cache
// (caches.ts), started in the background at create so that the cloud's start does not wait for it, stopped
// with the cloud. A ref resolves to `redis://127.0.0.1:<port>`, or to an empty value when there is no
// server binary (then the functions run uncached, and the start screen says so and why).
import type { LocalResourceKind } from './types.ts';

export const cache: LocalResourceKind<'cache'> = {
  title: 'Valkey caches',
  health: 'caches',
  create: (spec, services) => services.caches.start(spec.name),
  id: (spec) => spec.name,
  describe(spec, ctx) {
    const s = ctx.services.caches.state(spec.name);
    if (!s || s.status === 'off') return `${spec.name}: none (uncached)`;
    return `${spec.name} → ${s.url}${s.version ? ` (${s.version})` : ''}${s.status === 'running' ? '' : ` ${s.status}`}`;
  },
  warning(spec, ctx) {
    const s = ctx.services.caches.state(spec.name);
    if (s?.status !== 'off' && s?.status !== 'failed') return undefined;
    return `cache ${spec.name} ${s.status === 'off' ? 'is off' : 'failed to start'}: ${s.reason}. The functions using it run uncached (every read goes to DynamoDB).`;
  },
  state: (spec, services) => ({ ...services.caches.state(spec.name) }),
  resolve: (spec, variable, ctx) => ({ [variable]: ctx.services?.caches.url(spec.name) ?? '' }),
};
