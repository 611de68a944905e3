import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { iamTable } from '../../infra/iam-table';
import { loadCfnYaml } from './cfn-yaml';

/** infra/README.md says what is deployed: its IAM table and parameter list follow the code. */

const readme = readFileSync('infra/README.md', 'utf8');

/** A markdown table as cells, whatever the padding a formatter adds. */
const cells = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((row) =>
      row
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim())
        .map((cell) => (/^:?-+:?$/.test(cell) ? '---' : cell)),
    );

describe('infra/README.md', () => {
  it('carries the IAM table the construct grants (regenerate: npx tsx infra/iam-table.ts)', () => {
    const start = readme.indexOf('<!-- iam-table:start -->\n') + '<!-- iam-table:start -->\n'.length;
    const end = readme.indexOf('\n<!-- iam-table:end -->');
    expect(cells(readme.slice(start, end))).toEqual(cells(iamTable()));
  });

  it('documents every SAM parameter', () => {
    const parameters = Object.keys(loadCfnYaml('template.yaml').Parameters ?? {});
    expect(parameters.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
