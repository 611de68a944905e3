/**
 * One HTTP endpoint on 127.0.0.1 for every service the functions call. Requests are routed the way
 * the SDK sends them: `X-Amz-Target` for the JSON protocols (ECS, DynamoDB, EventBridge), the form's `Action` +
 * `Version` for the Query protocols (Auto Scaling, SNS), the SigV4 credential scope as a fallback.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runningCallers } from '../../support/callers';
import type { CallLog, CallRecord } from '../calls';
import type { FaultInjector } from '../faults';
import { AwsApiError } from '../model/errors';
import type { World } from '../model/world';
import type { EcsThrottling } from '../throttling';
import { AUTOSCALING_NAMESPACE, AUTOSCALING_VERSION, handleAutoScaling } from './autoscaling';
import { ECS_TARGET_PREFIX, handleEcs } from './ecs';
import { EVENTS_TARGET_PREFIX, handleEvents } from './events';
import { parseQueryParams, queryError, queryResponse } from './query-protocol';
import { handleSns, SNS_NAMESPACE, SNS_VERSION } from './sns';

const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810.';

export interface EndpointDeps {
  world: () => World;
  faults: FaultInjector;
  /** ECS's request throttling (off unless enabled). */
  throttling: EcsThrottling;
  calls: CallLog;
  /** Port of the in-process dynalite that DynamoDB requests are proxied to. */
  dynamoPort: number;
  /** DynamoDB operations dynalite lacks, answered here (e.g. UpdateTimeToLive). */
  dynamoShim: (operation: string, input: Record<string, unknown>) => unknown | undefined;
}

type Routed =
  | { service: 'ecs'; operation: string }
  | { service: 'dynamodb'; operation: string }
  | { service: 'events'; operation: string }
  | { service: 'autoscaling' | 'sns'; operation: string }
  | { service: 'unknown'; operation: string };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function credentialScopeService(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization ?? '';
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

function route(req: IncomingMessage, body: string): Routed {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith(ECS_TARGET_PREFIX))
    return { service: 'ecs', operation: target.slice(ECS_TARGET_PREFIX.length) };
  if (target.startsWith(EVENTS_TARGET_PREFIX))
    return { service: 'events', operation: target.slice(EVENTS_TARGET_PREFIX.length) };
  if (target.startsWith(DYNAMODB_TARGET_PREFIX)) {
    return { service: 'dynamodb', operation: target.slice(DYNAMODB_TARGET_PREFIX.length) };
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action') ?? '';
  const version = form.get('Version');
  if (version === AUTOSCALING_VERSION) return { service: 'autoscaling', operation: action };
  if (version === SNS_VERSION) return { service: 'sns', operation: action };
  const scope = credentialScopeService(req);
  if (scope === 'autoscaling' || scope === 'sns') return { service: scope, operation: action };
  return { service: 'unknown', operation: target || action };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error each service answers for throttling and for a server fault. */
const INJECTED: Record<string, { throttle: [string, string, number]; server: [string, string, number] }> = {
  ecs: {
    throttle: ['ThrottlingException', 'Rate exceeded', 400],
    server: ['ServerException', 'Service Unavailable', 500],
  },
  autoscaling: {
    throttle: ['Throttling', 'Rate exceeded', 400],
    server: ['InternalFailure', 'An internal error occurred.', 500],
  },
  sns: {
    throttle: ['Throttling', 'Rate exceeded', 400],
    server: ['InternalError', 'An internal service error occurred.', 500],
  },
  events: {
    throttle: ['ThrottlingException', 'Rate exceeded', 400],
    server: ['InternalException', 'An internal error occurred.', 500],
  },
  dynamodb: {
    throttle: ['ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400],
    server: ['InternalServerError', 'Internal server error', 500],
  },
};

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  contentType: string,
  errorType?: string,
) {
  const body = JSON.stringify(payload ?? {});
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(body);
}

function sendXml(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, service: Routed['service'], error: AwsApiError) {
  if (service === 'ecs' || service === 'events') {
    sendJson(
      res,
      error.status,
      { __type: error.code, message: error.message, ...error.extra },
      'application/x-amz-json-1.1',
      error.code,
    );
  } else if (service === 'dynamodb') {
    sendJson(
      res,
      error.status,
      { __type: `com.amazonaws.dynamodb.v20120810#${error.code}`, message: error.message },
      'application/x-amz-json-1.0',
    );
  } else {
    const namespace = service === 'sns' ? SNS_NAMESPACE : AUTOSCALING_NAMESPACE;
    sendXml(
      res,
      error.status,
      queryError(
        namespace,
        error.code,
        error.message,
        randomUUID(),
        error.status >= 500 ? 'Receiver' : 'Sender',
      ),
    );
  }
}

function proxyToDynalite(
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  port: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${port}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
        answer.on('end', () => resolve(answer.statusCode ?? 500));
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Sends a (rewritten) DynamoDB request to dynalite and reads its whole answer. */
function askDynalite(
  req: IncomingMessage,
  body: string,
  port: number,
): Promise<{ status: number; payload: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...req.headers,
      host: `127.0.0.1:${port}`,
      'content-length': String(Buffer.byteLength(body)),
    };
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 500,
            payload: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/**
 * BatchGetItem / BatchWriteItem with a share of each table's keys (or write requests) left unprocessed,
 * as DynamoDB answers under throttling or its 16 MB limit: the last ones of each table are held back
 * and returned in UnprocessedKeys / UnprocessedItems, the rest processed by dynalite.
 */
async function answerPartly(
  req: IncomingMessage,
  res: ServerResponse,
  operation: 'BatchGetItem' | 'BatchWriteItem',
  input: Record<string, unknown>,
  rate: number,
  port: number,
): Promise<number> {
  const requestItems = (input.RequestItems ?? {}) as Record<string, unknown>;
  const processed: Record<string, unknown> = {};
  const held: Record<string, unknown> = {};
  for (const [table, entry] of Object.entries(requestItems)) {
    const all =
      (operation === 'BatchGetItem' ? (entry as { Keys?: unknown[] }).Keys : (entry as unknown[])) ?? [];
    const holdCount = rate <= 0 ? 0 : Math.min(all.length, Math.max(1, Math.floor(all.length * rate)));
    const keep = all.slice(0, all.length - holdCount);
    const hold = all.slice(all.length - holdCount);
    const wrap = (items: unknown[]) =>
      operation === 'BatchGetItem' ? { ...(entry as Record<string, unknown>), Keys: items } : items;
    if (keep.length > 0) processed[table] = wrap(keep);
    if (hold.length > 0) held[table] = wrap(hold);
  }
  const unprocessedField = operation === 'BatchGetItem' ? 'UnprocessedKeys' : 'UnprocessedItems';
  let status = 200;
  let payload: Record<string, unknown> = operation === 'BatchGetItem' ? { Responses: {} } : {};
  if (Object.keys(processed).length > 0) {
    ({ status, payload } = await askDynalite(
      req,
      JSON.stringify({ ...input, RequestItems: processed }),
      port,
    ));
  }
  if (status === 200) payload = { ...payload, [unprocessedField]: held };
  sendJson(res, status, payload, 'application/x-amz-json-1.0');
  return status;
}

export async function startEndpoint(deps: EndpointDeps): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    handle(req, res, deps).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`local endpoint failure: ${error instanceof Error ? error.stack : String(error)}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps) {
  const raw = await readBody(req);
  const body = raw.toString('utf8');
  const routed = route(req, body);
  const world = deps.world();
  let input: Record<string, unknown>;
  try {
    input =
      routed.service === 'ecs' || routed.service === 'dynamodb' || routed.service === 'events'
        ? (JSON.parse(body || '{}') as Record<string, unknown>)
        : parseQueryParams(body);
  } catch {
    sendJson(
      res,
      400,
      { __type: 'SerializationException', message: 'The request body is not valid JSON.' },
      'application/json',
    );
    return;
  }
  if (routed.service === 'autoscaling' || routed.service === 'sns') {
    delete input.Action;
    delete input.Version;
  }
  const record: CallRecord = {
    service: routed.service === 'unknown' ? 'ecs' : routed.service,
    operation: routed.operation,
    name: `${routed.service}:${routed.operation}`,
    input,
    at: world.now(),
    status: 200,
  };
  // The functions running when it arrived, one of which sent it (test/support/callers.ts).
  const callers = runningCallers();
  if (callers.length > 0) record.callers = callers;
  deps.calls.add(record);
  res.on('finish', () => deps.calls.answered({ ...record, status: res.statusCode }));

  if (routed.service === 'unknown') {
    record.status = 400;
    record.error = 'UnknownOperationException';
    sendJson(
      res,
      400,
      { __type: 'UnknownOperationException', message: 'The local endpoint could not route this request.' },
      'application/json',
    );
    return;
  }

  const fault = deps.faults.decide(record.name);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.kind === 'error') {
    const { code, message = `injected ${code}`, status = 400 } = fault.error;
    record.status = status;
    record.error = code;
    record.injected = 'error';
    sendError(res, routed.service, new AwsApiError(code, message, status));
    return;
  }
  if (fault.kind !== 'none') {
    const [code, message, status] = INJECTED[routed.service]?.[
      fault.kind === 'throttle' ? 'throttle' : 'server'
    ] ?? ['InternalFailure', 'injected', 500];
    record.status = status;
    record.error = code;
    record.injected = fault.kind;
    sendError(res, routed.service, new AwsApiError(code, message, status));
    return;
  }

  if (routed.service === 'ecs' && !deps.throttling.take(routed.operation)) {
    record.status = 400;
    record.error = 'ThrottlingException';
    sendError(res, routed.service, new AwsApiError('ThrottlingException', 'Rate exceeded', 400));
    return;
  }

  try {
    switch (routed.service) {
      case 'ecs': {
        const output = handleEcs(world, routed.operation, input);
        sendJson(
          res,
          200,
          fault.missing ? answerMissing(output, fault.missing) : output,
          'application/x-amz-json-1.1',
        );
        return;
      }
      case 'events': {
        sendJson(res, 200, handleEvents(world, routed.operation, input), 'application/x-amz-json-1.1');
        return;
      }
      case 'autoscaling': {
        const output = handleAutoScaling(world, routed.operation, input as never);
        sendXml(res, 200, queryResponse(routed.operation, AUTOSCALING_NAMESPACE, output, randomUUID()));
        return;
      }
      case 'sns': {
        const output = handleSns(world, routed.operation, input as never);
        sendXml(res, 200, queryResponse(routed.operation, SNS_NAMESPACE, output, randomUUID()));
        return;
      }
      case 'dynamodb': {
        const shimmed = deps.dynamoShim(routed.operation, input);
        if (shimmed !== undefined) {
          sendJson(res, 200, shimmed, 'application/x-amz-json-1.0');
          return;
        }
        const operation = routed.operation;
        if (fault.unprocessedRate && (operation === 'BatchGetItem' || operation === 'BatchWriteItem')) {
          record.injected = 'unprocessed';
          record.status = await answerPartly(
            req,
            res,
            operation,
            input,
            fault.unprocessedRate,
            deps.dynamoPort,
          );
          return;
        }
        record.status = await proxyToDynalite(req, raw, res, deps.dynamoPort);
        return;
      }
    }
  } catch (error) {
    if (!(error instanceof AwsApiError)) throw error;
    record.status = error.status;
    record.error = error.code;
    sendError(res, routed.service, error);
  }
}

/** An injected partial answer: the described items that match come back as MISSING failures. */
function answerMissing(output: unknown, missing: true | readonly string[]): unknown {
  if (
    typeof output !== 'object' ||
    output === null ||
    !Array.isArray((output as { failures?: unknown }).failures)
  )
    return output;
  const result: Record<string, unknown> = { ...(output as Record<string, unknown>) };
  const failures = [...(result.failures as unknown[])];
  for (const [key, value] of Object.entries(result)) {
    if (key === 'failures' || !Array.isArray(value)) continue;
    result[key] = value.filter((item: Record<string, unknown>) => {
      const arn = [item.containerInstanceArn, item.taskArn, item.serviceArn, item.clusterArn].find(
        (candidate): candidate is string => typeof candidate === 'string',
      );
      const names = [arn, item.ec2InstanceId].filter((name): name is string => typeof name === 'string');
      const hit = missing === true || missing.some((part) => names.some((name) => name.includes(part)));
      if (hit) failures.push({ arn, reason: 'MISSING' });
      return !hit;
    });
  }
  result.failures = failures;
  return result;
}
