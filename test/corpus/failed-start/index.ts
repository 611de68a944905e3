import { AGENT_MESSAGES } from './agent';
import { DOCS_MESSAGES } from './docs';
import { MESSAGE_FIXTURES } from './fixtures';
import { ISSUE_MESSAGES } from './issues';
import { type CorpusMessage, splitOf } from './types';

export { type CorpusMessage, splitOf } from './types';

const FIXTURES: readonly CorpusMessage[] = MESSAGE_FIXTURES.map((fixture) => ({
  ...(fixture.stoppedReason !== undefined ? { stoppedReason: fixture.stoppedReason } : {}),
  ...(fixture.containerReason !== undefined ? { containerReason: fixture.containerReason } : {}),
  ...(fixture.exitCode !== undefined ? { exitCode: fixture.exitCode } : {}),
  ...(fixture.stopCode !== undefined ? { stopCode: fixture.stopCode } : {}),
  category: fixture.expected.category,
  source: fixture.source,
  origin: 'fixture',
  ...(fixture.note !== undefined ? { note: fixture.note } : {}),
}));

/** The text that identifies a message: the same text in both parts would leak the held-out part. */
const keyOf = (message: CorpusMessage) =>
  [message.stoppedReason, message.containerReason, message.exitCode, message.stopCode].join('\u0000');

const ALL: readonly CorpusMessage[] = [...FIXTURES, ...AGENT_MESSAGES, ...DOCS_MESSAGES, ...ISSUE_MESSAGES];

/** Tuned part first; a held-out message whose text is already in the tuned part (or earlier) is dropped. */
function deduplicated(messages: readonly CorpusMessage[]): CorpusMessage[] {
  const seen = new Set<string>();
  const ordered = [
    ...messages.filter((message) => splitOf(message) === 'tuned'),
    ...messages.filter((message) => splitOf(message) === 'held-out'),
  ];
  return ordered.filter((message) => {
    const key = keyOf(message);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every distinct message of the corpus, with its source. */
export const CORPUS: readonly CorpusMessage[] = deduplicated(ALL);
export const TUNED = CORPUS.filter((message) => splitOf(message) === 'tuned');
export const HELD_OUT = CORPUS.filter((message) => splitOf(message) === 'held-out');
