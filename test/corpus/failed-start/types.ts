import type { Category } from '../../../shared/failed-start/taxonomy';

/**
 * One failure message of a task that never ran, as ECS reports it, with the category an ECS operator
 * would file it under and where it was found.
 */
export interface CorpusMessage {
  /** The task's `stoppedReason`. */
  stoppedReason?: string;
  /** The failing container's `reason`. */
  containerReason?: string;
  exitCode?: number;
  stopCode?: string;
  category: Category;
  /** Where the message was found (a URL; for the agent, the file at the repository's HEAD). */
  source: string;
  /**
   * What kind of source: `agent` (the ECS container agent's code: its error types and format strings,
   * filled with sample values), `fixture` (the messages the classifier was first written against),
   * `docs` (the ECS developer guide and AWS knowledge-center pages), `issue` (public issues) and `page`
   * (other public pages: blogs, forums).
   */
  origin: 'agent' | 'fixture' | 'docs' | 'issue' | 'page';
  /** Agent releases that write the message (origin `agent`). */
  agentVersions?: string;
  /** Year the message was published (issues and pages). */
  year?: number;
  note?: string;
  /**
   * Held out, but answered wrong when first measured and the classifier was changed after: it no longer
   * counts as unseen. The benchmark reports accuracy at first sight beside today's.
   */
  missedWhenFirstSeen?: true;
}

/**
 * The split, fixed by source before any tuning: the classifier is tuned on what the agent's code can
 * write and on its original fixtures; the documentation and public issues are held out and only
 * measured.
 */
export const splitOf = (message: CorpusMessage): 'tuned' | 'held-out' =>
  message.origin === 'agent' || message.origin === 'fixture' ? 'tuned' : 'held-out';
