import { type Anatomy, anatomyOf } from './structure';
import {
  CATEGORY_INFO,
  type Category,
  type MessageMatch,
  TAXONOMY,
  type TaxonomyEntry,
  UNKNOWN_ENTRY,
} from './taxonomy';

/**
 * ECS keeps at most this many characters of a task's `stoppedReason` and a container's `reason`
 * ("A short (1024 max characters) human-readable string", Container.reason in the ECS API Reference);
 * a message this long was probably cut.
 */
export const ECS_REASON_MAX = 1024;

/** One container of a stopped task; an event container or an SDK Container both fit. */
export interface ContainerSignal {
  name?: string | undefined;
  image?: string | undefined;
  reason?: string | undefined;
  exitCode?: number | null | undefined;
  /** The awslogs group of the container, when the task definition is known. */
  logGroup?: string | undefined;
  /** From the task definition, when known: a non-essential container's exit never stops the task. */
  essential?: boolean | undefined;
}

/** What ECS tells about a stopped task; an event detail or an SDK Task both fit. */
export interface StopSignals {
  stoppedReason?: string | undefined;
  stopCode?: string | undefined;
  containers?: readonly ContainerSignal[] | undefined;
}

/** Where the classification came from, for the alert and the logs. */
export interface Evidence {
  source: 'stoppedReason' | 'container' | 'exitCode' | 'stopCode';
  container?: string;
  text: string;
}

export interface Classification {
  entryId: string;
  category: Category;
  title: string;
  summary: string;
  cause: string;
  remedy: string;
  docsUrl: string;
  /** Values found in the messages (image, secret, subnet...) and about the failing container. */
  facts: Record<string, string>;
  evidence: Evidence[];
  /** A message was long enough that ECS probably cut it. */
  truncated: boolean;
}

type Facts = Record<string, string>;

interface Hit {
  facts: Facts;
  evidence: Evidence;
}

interface Text {
  text: string;
  source: 'stoppedReason' | 'container';
  container?: ContainerSignal;
  /** The stage and root cause of the text, read once. */
  anatomy: Anatomy;
}

const isTruncated = (text: string) => text.length >= ECS_REASON_MAX;

/**
 * Named groups of a match. A value that runs to the end of a cut message is dropped: it is probably
 * cut too (half an image name), and the container's own fields say it better.
 */
function capturesOf(match: RegExpExecArray, text: string): Facts {
  const facts: Facts = {};
  const cut = isTruncated(text);
  for (const [name, value] of Object.entries(match.groups ?? {})) {
    if (value === undefined || value === '') continue;
    const end = text.indexOf(value, match.index) + value.length;
    if (cut && end >= text.length) continue;
    facts[name] = value.replace(/[.,;:'"]+$/, '');
  }
  return facts;
}

function containerFacts(container: ContainerSignal | undefined): Facts {
  const facts: Facts = {};
  if (container?.name) facts.container = container.name;
  if (container?.image) facts.image = container.image;
  if (typeof container?.exitCode === 'number') facts.exitCode = String(container.exitCode);
  if (container?.logGroup) facts.logGroup = container.logGroup;
  return facts;
}

/** Named groups of every pattern that matches the text; earlier patterns win. */
function capturesOfAll(patterns: readonly RegExp[], text: string): Facts {
  const matches = patterns
    .map((pattern) => pattern.exec(text))
    .filter((match): match is RegExpExecArray => match !== null);
  return Object.assign({}, ...matches.reverse().map((match) => capturesOf(match, text))) as Facts;
}

/** Whether one text holds the entry's patterns, stage and cause. */
function textMatches(match: MessageMatch, { text, anatomy }: Text): boolean {
  if (match.reason && !match.reason.some((pattern) => pattern.test(text))) return false;
  if (match.stage && !(anatomy.stage && match.stage.includes(anatomy.stage))) return false;
  if (match.cause && !(anatomy.cause && match.cause.includes(anatomy.cause))) return false;
  return true;
}

function matchText(match: MessageMatch, texts: readonly Text[]): Hit | undefined {
  for (const item of texts) {
    if (!textMatches(match, item)) continue;
    const { text, source, container } = item;
    // Every pattern that matches this text may name something (one the secret, another its store).
    const captures = capturesOfAll([...(match.reason ?? []), ...(match.facts ?? [])], text);
    return {
      // The message's own values win over the container's fields.
      facts: { ...containerFacts(container), ...captures },
      evidence: { source, text, ...(container?.name ? { container: container.name } : {}) },
    };
  }
  return undefined;
}

function matchEntry(match: MessageMatch, signals: StopSignals, texts: readonly Text[]): Hit[] | undefined {
  const hits: Hit[] = [];
  if (match.reason || match.stage || match.cause) {
    const hit = matchText(match, texts);
    if (!hit) return undefined;
    hits.push(hit);
  }
  if (match.stoppedReason) {
    const hit = matchText(
      { reason: match.stoppedReason },
      texts.filter((text) => text.source === 'stoppedReason'),
    );
    if (!hit) return undefined;
    hits.push(hit);
  }
  if (match.exitCodes) {
    const codes = match.exitCodes;
    const container = suspects(signals).find(
      (candidate) => typeof candidate.exitCode === 'number' && codes.includes(candidate.exitCode),
    );
    if (!container) return undefined;
    hits.push({
      facts: containerFacts(container),
      evidence: { source: 'exitCode', container: container.name ?? '', text: String(container.exitCode) },
    });
  }
  if (match.stopCodes) {
    if (!signals.stopCode || !match.stopCodes.includes(signals.stopCode)) return undefined;
    hits.push({ facts: {}, evidence: { source: 'stopCode', text: signals.stopCode } });
  }
  return hits.length > 0 ? hits : undefined;
}

/** Exit codes of a container killed by SIGKILL or SIGTERM: what ECS sends the others when one stops the task. */
const STOPPED_BY_SIGNAL = [137, 143];

/**
 * The containers whose exit can explain the stop. Essential ones, when the task definition says which;
 * otherwise those that exited with a code of their own, since when an essential container exits ECS
 * stops the rest, and a sidecar that ignores SIGTERM ends with 137 without being the cause.
 */
function suspects(signals: StopSignals): readonly ContainerSignal[] {
  const containers = signals.containers ?? [];
  if (containers.some((container) => container.essential !== undefined)) {
    return containers.filter((container) => container.essential !== false);
  }
  const ownCode = containers.filter(
    (container) =>
      typeof container.exitCode === 'number' &&
      container.exitCode !== 0 &&
      !STOPPED_BY_SIGNAL.includes(container.exitCode),
  );
  return ownCode.length > 0 ? ownCode : containers;
}

/**
 * The container that explains the stop: one with a reason, else a suspect that exited non-zero, else
 * any that did, else one with any exit code; a task with a single container has no other candidate.
 */
export function failingContainer(signals: StopSignals): ContainerSignal | undefined {
  const containers = signals.containers ?? [];
  const nonZero = (container: ContainerSignal) =>
    typeof container.exitCode === 'number' && container.exitCode !== 0;
  return (
    containers.find((container) => container.reason) ??
    suspects(signals).find(nonZero) ??
    containers.find(nonZero) ??
    containers.find((container) => typeof container.exitCode === 'number') ??
    (containers.length === 1 ? containers[0] : undefined)
  );
}

/** Which registry an image reference points at, in words a person recognises. */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(first)) return 'Amazon ECR';
  if (first === 'public.ecr.aws') return 'Amazon ECR Public';
  const isHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!isHost || first === 'docker.io' || first === 'registry-1.docker.io') return 'Docker Hub';
  return first;
}

const STORE_NAMES: Record<string, string> = { asm: 'Secrets Manager', ssm: 'SSM Parameter Store' };

function derivedFacts(facts: Facts, evidence: readonly Evidence[]): Facts {
  const derived: Facts = {};
  if (facts.image && !facts.registry) derived.registry = registryOf(facts.image);
  const text = evidence.map((item) => item.text).join('\n');
  const store = facts.store ?? /retrieve secrets? from (asm|ssm)/i.exec(text)?.[1];
  if (store && STORE_NAMES[store.toLowerCase()])
    derived.storeName = STORE_NAMES[store.toLowerCase()] as string;
  else if (/ecr registry auth/i.test(text)) derived.storeName = 'Amazon ECR';
  return derived;
}

// Braces inside a fact (event text) stand in for themselves while placeholders are filled, so a message
// holding "{image|...}" is quoted, never read as a placeholder.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const inert = (value: string) => value.replaceAll('{', OPEN).replaceAll('}', CLOSE);

/** Fills `{fact|fallback}` placeholders, innermost first, so fallbacks may hold placeholders. */
export function render(template: string, facts: Facts): string {
  const placeholder = /\{(\w+)\|([^{}]*)\}/;
  let text = template;
  for (let match = placeholder.exec(text); match; match = placeholder.exec(text)) {
    const [whole, name = '', fallback = ''] = match;
    const fact = facts[name];
    text = text.replace(whole, () => (fact === undefined ? fallback : inert(fact)));
  }
  return text
    .replaceAll(OPEN, '{')
    .replaceAll(CLOSE, '}')
    .replace(/ {2,}/g, ' ')
    .replace(/ ([.,:;)])/g, '$1')
    .replace(/\( ?\)/g, '')
    .trim();
}

function textsOf(signals: StopSignals): Text[] {
  const texts: Text[] = [];
  for (const container of signals.containers ?? []) {
    if (container.reason) {
      texts.push({
        text: container.reason,
        source: 'container',
        container,
        anatomy: anatomyOf(container.reason),
      });
    }
  }
  if (signals.stoppedReason) {
    texts.push({
      text: signals.stoppedReason,
      source: 'stoppedReason',
      anatomy: anatomyOf(signals.stoppedReason),
    });
  }
  return texts;
}

/**
 * Explains why a task stopped: the first taxonomy entry whose patterns match the task's stoppedReason,
 * its containers' reasons, exit codes and stopCode. Never throws; anything unrecognised is `unknown`.
 */
export function classify(
  signals: StopSignals,
  taxonomy: readonly TaxonomyEntry[] = TAXONOMY,
): Classification {
  const texts = textsOf(signals);
  let entry = UNKNOWN_ENTRY;
  let hits: Hit[] = [];
  for (const candidate of taxonomy) {
    const found = matchEntry(candidate.match, signals, texts);
    if (found) {
      entry = candidate;
      hits = found;
      break;
    }
  }
  const base: Facts = {
    ...containerFacts(failingContainer(signals)),
    ...(signals.stopCode ? { stopCode: signals.stopCode } : {}),
    ...(signals.stoppedReason ? { stoppedReason: signals.stoppedReason } : {}),
  };
  const found = Object.assign({}, base, ...hits.map((hit) => hit.facts)) as Facts;
  const evidence = hits.map((hit) => hit.evidence);
  const facts = { ...found, ...derivedFacts(found, evidence) };
  return {
    entryId: entry.id,
    category: entry.category,
    title: entry.title,
    summary: render(entry.summary, facts),
    cause: render(entry.cause, facts),
    remedy: render(entry.remedy, facts),
    docsUrl: entry.docsUrl,
    facts,
    evidence,
    truncated: texts.some(({ text }) => isTruncated(text)),
  };
}

/** Whether a category means the task was stopped on purpose (not a failure by default). */
export const isIntentional = (category: Category): boolean => CATEGORY_INFO[category].intentional;
export const isInterruption = (category: Category): boolean => CATEGORY_INFO[category].interruption === true;
