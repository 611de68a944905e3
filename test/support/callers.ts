// Which function sent each request the local endpoint records, so scripts/check-requests.py checks the
// operation against that function's role. Only with RECORD_CALLERS and RECORD_REQUESTS set: each handler counts as running from its call until it settles, and a request names the
// functions running when it arrives. One handler at a time (most tests) names exactly its sender; a
// handler run from another's sleep, or handlers run at once, name both, and either role may grant it.
// (Per-invocation async context cannot tell them apart here: the world clock's fake timers run a
// handler's timer callbacks in whichever handler advances the clock.)
import type { Context } from 'aws-lambda';

type Handler = (event: unknown, context: Context) => unknown;

const running: string[] = [];

/** The function module with its handler counted as `caller` while it runs (unchanged without RECORD_CALLERS). */
export function attributed<Module extends { handler: Handler }>(caller: string, module: Module): Module {
  if (!process.env.RECORD_REQUESTS || !process.env.RECORD_CALLERS) return module;
  const original = module.handler;
  const handler = async (event: unknown, context: Context) => {
    running.push(caller);
    try {
      return await original(event, context);
    } finally {
      running.splice(running.indexOf(caller), 1);
    }
  };
  return { ...module, handler: handler as Module['handler'] };
}

/** The functions whose handlers are running now, each once, sorted. */
export function runningCallers(): string[] {
  return [...new Set(running)].sort();
}
