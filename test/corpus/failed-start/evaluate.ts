import {
  type Classification,
  classify,
  isIntentional,
  isInterruption,
  type StopSignals,
} from '../../../shared/failed-start/classify';
import { CATEGORIES, type Category } from '../../../shared/failed-start/taxonomy';
import type { CorpusMessage } from './types';

/** What ECS would report for the message: one container, the task's reason, exit code and stop code. */
export function signalsOf(message: CorpusMessage): StopSignals {
  return {
    ...(message.stoppedReason !== undefined ? { stoppedReason: message.stoppedReason } : {}),
    ...(message.stopCode !== undefined ? { stopCode: message.stopCode } : {}),
    containers: [
      {
        name: 'app',
        ...(message.containerReason !== undefined ? { reason: message.containerReason } : {}),
        ...(message.exitCode !== undefined ? { exitCode: message.exitCode } : {}),
      },
    ],
  };
}

/** Whether the default configuration alerts on this category (stops on purpose and host interruptions do not). */
export const alerts = (category: Category) => !isIntentional(category) && !isInterruption(category);

export interface CategoryScore {
  category: Category;
  messages: number;
  correct: number;
  accuracy: number;
}

export interface Evaluation {
  messages: number;
  correct: number;
  accuracy: number;
  /** Accuracy counting as wrong the messages missed when first measured (fixed since, so no longer unseen). */
  firstSeenAccuracy: number;
  perCategory: CategoryScore[];
  /** confusion[expected][got] = messages; only non-zero cells. */
  confusion: Partial<Record<Category, Partial<Record<Category, number>>>>;
  /** Failures answered `unknown` (they still alert, quoting the raw text). */
  unknown: number;
  /** Failures the default configuration would not alert on: answered as a stop on purpose or an interruption. */
  unalerted: number;
  misses: { message: CorpusMessage; got: Classification }[];
}

export function evaluate(messages: readonly CorpusMessage[]): Evaluation {
  const confusion: Evaluation['confusion'] = {};
  const misses: Evaluation['misses'] = [];
  let unknown = 0;
  let unalerted = 0;
  for (const message of messages) {
    const got = classify(signalsOf(message));
    const row = confusion[message.category] ?? {};
    row[got.category] = (row[got.category] ?? 0) + 1;
    confusion[message.category] = row;
    if (got.category !== message.category) misses.push({ message, got });
    if (alerts(message.category) && got.category === 'unknown') unknown += 1;
    if (alerts(message.category) && !alerts(got.category)) unalerted += 1;
  }
  const perCategory = CATEGORIES.flatMap((category) => {
    const row = confusion[category];
    if (!row) return [];
    const total = Object.values(row).reduce((sum, count) => sum + count, 0);
    const correct = row[category] ?? 0;
    return [{ category, messages: total, correct, accuracy: correct / total }];
  });
  const correct = messages.length - misses.length;
  const missedBefore = messages.filter(
    (message) => message.missedWhenFirstSeen && !misses.some((miss) => miss.message === message),
  ).length;
  const ratio = (count: number) => (messages.length === 0 ? 0 : count / messages.length);
  return {
    messages: messages.length,
    correct,
    accuracy: ratio(correct),
    firstSeenAccuracy: ratio(correct - missedBefore),
    perCategory,
    confusion,
    unknown,
    unalerted,
    misses,
  };
}

/** The accuracy the held-out part must keep (issue 19). */
export const HELD_OUT_TARGET = 0.95;
