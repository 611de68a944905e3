// Loaded by vitest.config.ts only with RECORD_REQUESTS (.ci/run's end-to-end step): every request a
// function sends names the functions running, so scripts/check-requests.py checks it against their
// roles (test/support/callers.ts). Module mocks change how a test's re-imports behave, hence not always.
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
