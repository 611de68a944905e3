// detect-failed-start's classifier against the failed-start corpus (test/corpus/failed-start/): accuracy
// on the part it was tuned on and on the part held out by source (the ECS guide's pages and public
// issues), per category, with the confusion table of the held-out part.
//   npx tsx bench/classifier.ts          prints the figures
//   npm run bench -- --only classifier   the same, and writes them (bench/results.json, the READMEs)
import { CATEGORIES, type Category } from '../shared/failed-start/taxonomy';
import { type Evaluation, evaluate, HELD_OUT_TARGET } from '../test/corpus/failed-start/evaluate';
import { CORPUS, HELD_OUT, TUNED } from '../test/corpus/failed-start/index';

export interface ClassifierFigures {
  corpus: { messages: number; tuned: number; heldOut: number; bySource: Record<string, number> };
  tuned: Evaluation;
  heldOut: Evaluation;
  target: number;
}

export function benchClassifier(): ClassifierFigures {
  const bySource: Record<string, number> = {};
  for (const message of CORPUS) bySource[message.origin] = (bySource[message.origin] ?? 0) + 1;
  return {
    corpus: { messages: CORPUS.length, tuned: TUNED.length, heldOut: HELD_OUT.length, bySource },
    tuned: evaluate(TUNED),
    heldOut: evaluate(HELD_OUT),
    target: HELD_OUT_TARGET,
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

/** Flat, stable names -> numbers for bench/results.json. */
export function classifierResults(figures: ClassifierFigures): Record<string, number> {
  const results: Record<string, number> = {
    'classifier.corpus.messages': figures.corpus.messages,
    'classifier.tuned.messages': figures.tuned.messages,
    'classifier.tuned.accuracy': figures.tuned.accuracy,
    'classifier.heldOut.messages': figures.heldOut.messages,
    'classifier.heldOut.accuracy': figures.heldOut.accuracy,
    'classifier.heldOut.firstSeenAccuracy': figures.heldOut.firstSeenAccuracy,
    'classifier.heldOut.unknown': figures.heldOut.unknown,
    'classifier.heldOut.unalerted': figures.heldOut.unalerted,
    'classifier.heldOut.target': figures.target,
  };
  for (const score of figures.heldOut.perCategory) {
    results[`classifier.heldOut.${score.category}.messages`] = score.messages;
    results[`classifier.heldOut.${score.category}.accuracy`] = score.accuracy;
  }
  return results;
}

function confusionTable(evaluation: Evaluation): string[] {
  const expected = CATEGORIES.filter((category) => evaluation.confusion[category]);
  const got = CATEGORIES.filter((category) =>
    expected.some((row) => (evaluation.confusion[row]?.[category] ?? 0) > 0),
  );
  const cell = (row: Category, column: Category) => {
    const count = evaluation.confusion[row]?.[column] ?? 0;
    return count === 0 ? '·' : row === column ? `**${count}**` : String(count);
  };
  return [
    `| expected ↓ / answered → | ${got.join(' | ')} |`,
    `|---|${got.map(() => '---:').join('|')}|`,
    ...expected.map((row) => `| ${row} | ${got.map((column) => cell(row, column)).join(' | ')} |`),
  ];
}

/** The markdown section for the READMEs and bench/RESULTS.md. */
export function classifierSection(figures: ClassifierFigures): string[] {
  const { corpus, tuned, heldOut } = figures;
  const sources = Object.entries(corpus.bySource)
    .map(([source, count]) => `${count} ${source}`)
    .join(', ');
  return [
    '### detect-failed-start classifier',
    '',
    `${corpus.messages} distinct failure messages in \`test/corpus/failed-start/\` (${sources}), split by source`,
    'before tuning: tuned on the ECS agent’s error types and format strings and the original fixtures,',
    'held out: the ECS developer guide and AWS knowledge-center pages, public issues and other public pages.',
    '',
    '| part | messages | accuracy | at first sight | answered `unknown` (still alerts) | failures not alerted |',
    '|---|---:|---:|---:|---:|---:|',
    `| tuned | ${tuned.messages} | ${percent(tuned.accuracy)} | – | ${tuned.unknown} | ${tuned.unalerted} |`,
    `| **held out** | ${heldOut.messages} | **${percent(heldOut.accuracy)}** (target ≥ ${percent(figures.target)}) | ${percent(heldOut.firstSeenAccuracy)} | ${heldOut.unknown} | ${heldOut.unalerted} |`,
    '',
    '“At first sight” counts as wrong the held-out messages that were missed when first measured and that a',
    'later change reads right (marked `missedWhenFirstSeen` in the corpus): they are no longer unseen.',
    '',
    'Held out, per category:',
    '',
    '| category | messages | accuracy |',
    '|---|---:|---:|',
    ...heldOut.perCategory.map(
      (score) => `| ${score.category} | ${score.messages} | ${percent(score.accuracy)} |`,
    ),
    '',
    'Held out, confusion (rows: the category of the message; columns: the classifier’s answer):',
    '',
    ...confusionTable(heldOut),
    ...(heldOut.misses.length > 0
      ? [
          '',
          'Held-out misses:',
          '',
          ...heldOut.misses.map(
            ({ message, got }) =>
              `- \`${message.category}\` answered \`${got.category}\`: “${(message.containerReason ?? message.stoppedReason ?? '').slice(0, 120)}” (${message.source})`,
          ),
        ]
      : []),
  ];
}

export function printClassifier(figures: ClassifierFigures): void {
  console.log(
    `classifier: held-out accuracy ${percent(figures.heldOut.accuracy)} on ${figures.heldOut.messages} messages, ${percent(figures.heldOut.firstSeenAccuracy)} at first sight (tuned: ${percent(figures.tuned.accuracy)} on ${figures.tuned.messages})`,
  );
  console.table(
    figures.heldOut.perCategory.map((score) => ({
      category: score.category,
      messages: score.messages,
      accuracy: percent(score.accuracy),
    })),
  );
  for (const { message, got } of figures.heldOut.misses) {
    console.log(
      `  miss: ${message.category} answered ${got.category}: ${(message.containerReason ?? message.stoppedReason ?? '').slice(0, 100)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = benchClassifier();
  if (process.argv.includes('--json')) console.log(JSON.stringify(classifierResults(figures)));
  else {
    printClassifier(figures);
    console.log(`\n${classifierSection(figures).join('\n')}`);
  }
}
