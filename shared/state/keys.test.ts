import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertKey,
  capacityMarkerKey,
  capacityMarkerPk,
  capacityRequestKey,
  capacityRequestsPk,
  drainKey,
  failureMarkerKey,
  incidentPk,
  instanceIdOfDrainPk,
  jobLeaseKey,
  parseCapacityRequestSk,
  REGISTRY_PK,
  registryKey,
  runKey,
  subjectOfMarkerSk,
  taskKey,
} from './keys';

// Names as AWS allows them where the keys use them: no `#` (cluster, job, provider names, instance ids).
const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
const due = fc
  .date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
  .map((date) => `${date.toISOString().slice(0, 19)}Z`);

describe('state keys', () => {
  it('reads back the instance of a drain, the provider and job of a capacity request, the subject of a marker', () => {
    fc.assert(
      fc.property(name, name, name, due, (cluster, provider, subject, at) => {
        expect(instanceIdOfDrainPk(drainKey(subject).pk)).toBe(subject);
        const request = capacityRequestKey(cluster, provider, subject, at);
        expect(request.pk).toBe(capacityRequestsPk(cluster));
        expect(parseCapacityRequestSk(request.sk)).toEqual({ capacityProvider: provider, jobName: subject });
        const marker = capacityMarkerKey(cluster, 'idle', provider, subject);
        expect(subjectOfMarkerSk(marker.sk, provider)).toBe(subject);
      }),
    );
  });

  it("keeps every kind's partitions apart: run-scheduled-task's requests never share a pk with scale-capacity's markers", () => {
    fc.assert(
      fc.property(name, name, (cluster, other) => {
        for (const kind of ['idle', 'stall', 'types', 'launch', 'seen', 'agent'] as const) {
          expect(capacityMarkerPk(cluster, kind)).not.toBe(capacityRequestsPk(other));
        }
        expect(registryKey(cluster).pk).not.toBe(jobLeaseKey(other).pk);
      }),
    );
  });

  it('is the layout the table has always had', () => {
    expect(drainKey('i-1')).toEqual({ pk: 'drain#i-1', sk: 'drain' });
    expect(registryKey('nightly')).toEqual({ pk: REGISTRY_PK, sk: 'nightly' });
    expect(jobLeaseKey('nightly')).toEqual({ pk: 'job#nightly', sk: 'lease' });
    expect(runKey('nightly', '2026-01-01T02:00:00Z')).toEqual({
      pk: 'job#nightly',
      sk: 'run#2026-01-01T02:00:00Z',
    });
    expect(taskKey('nightly', '2026-01-01T02:00:00Z', 'arn:aws:ecs:us-east-1:1:task/web/abc')).toEqual({
      pk: 'job#nightly',
      sk: 'task#2026-01-01T02:00:00Z#abc',
    });
    expect(alertKey('nightly', 'failed', 'k')).toEqual({ pk: 'job#nightly', sk: 'alert#failed#k' });
    expect(capacityRequestKey('web', 'cp', 'nightly', '2026-01-01T02:00:00Z')).toEqual({
      pk: 'capacity#web',
      sk: 'cp#nightly#2026-01-01T02:00:00Z',
    });
    expect(capacityMarkerKey('web', 'types', 'cp')).toEqual({ pk: 'capacity#web#types', sk: 'cp' });
    expect(failureMarkerKey('arn:x')).toEqual({ pk: 'failure#task#arn:x', sk: 'task' });
    expect(incidentPk('arn:c', 'image-pull', 'x'.repeat(201))).toMatch(
      /^failure#incident#arn:c#image-pull#sha256:[0-9a-f]{16}$/,
    );
  });
});
