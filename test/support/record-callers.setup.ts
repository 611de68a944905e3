// Loaded by vitest.config.ts only with RECORD_CALLERS=1 (beside RECORD_REQUESTS): every request a
// function sends names the functions running, so scripts/check-requests.py checks it against their
// roles (test/support/callers.ts). Module mocks change how a test's re-imports behave, hence opt-in:
// test/e2e/run-scheduled-task.test.ts does not finish under them yet (TimeoutOverflowWarning loop).
import { vi } from 'vitest';
import { attributed } from './callers';

vi.mock('../../functions/drain-instance/index', async (importOriginal) =>
  attributed('drain-instance', await importOriginal<typeof import('../../functions/drain-instance/index')>()),
);
vi.mock('../../functions/run-scheduled-task/index', async (importOriginal) =>
  attributed(
    'run-scheduled-task',
    await importOriginal<typeof import('../../functions/run-scheduled-task/index')>(),
  ),
);
vi.mock('../../functions/detect-failed-start/index', async (importOriginal) =>
  attributed(
    'detect-failed-start',
    await importOriginal<typeof import('../../functions/detect-failed-start/index')>(),
  ),
);
vi.mock('../../functions/scale-capacity/index', async (importOriginal) =>
  attributed('scale-capacity', await importOriginal<typeof import('../../functions/scale-capacity/index')>()),
);
