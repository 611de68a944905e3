import * as z from 'zod';
import type { CapacitySettings, InstanceTypeResources, Shape } from '../../shared/capacity/snapshot';
import { env, loadConfig } from '../../shared/runtime/config';
import { ConfigError } from '../../shared/runtime/errors';

const instanceTypes = z.record(
  z.string(),
  z.object({
    cpu: z.number().int().min(1),
    memoryMiB: z.number().int().min(1),
    gpus: z.number().int().min(0).default(0),
    enis: z.number().int().min(0).default(0),
    /** On-Demand price: orders the overrides of a lowest-price mixed instances policy (none offline). */
    pricePerHour: z.number().min(0).optional(),
  }),
);

export const configShape = {
  /** Capacity providers to size, comma-separated: `cluster/provider`, or `provider` in DEFAULT_CLUSTER. Their managed scaling must be DISABLED. */
  CAPACITY_PROVIDERS: env.list(),
  /** Cluster of the providers listed without one. */
  DEFAULT_CLUSTER: env.optionalString(),
  /** DynamoDB state table (pk, sk, ttl): idle markers, stall markers, remembered instance types; capacity requests are read from it. */
  STATE_TABLE: env.string(),
  /** true: log and return the plan; change nothing. */
  DRY_RUN: env.boolean(false),
  /** An instance without non-daemon tasks this long may be removed. */
  SCALE_IN_AFTER_SECONDS: env.seconds(300, { min: 0, max: 86_400 }),
  /** Spare room kept, in tasks: `2` (of the provider's largest service shape) or `2x512/1024` (CPU units/MiB). */
  HEADROOM: z.string().optional(),
  /** Most instances removed per pass: a count (`3`) or a percentage of the group (`10%`). */
  MAX_SCALE_IN: z.string().optional(),
  /** Most instances added by one decision. */
  MAX_STEP: env.integer(50, { min: 1, max: 10_000 }),
  /** true: also drain and remove busy instances whose tasks fit on the others. */
  CONSOLIDATION: env.boolean(false),
  /** A launched instance not registered with the cluster after this long stops counting as capacity and is removed. */
  BOOT_TIMEOUT_SECONDS: env.seconds(600, { min: 60, max: 3_600 }),
  /** What new instances of a type register, when no instance of it is running: {"m5.large":{"cpu":2048,"memoryMiB":7680,"enis":2}}. */
  INSTANCE_TYPES: env.json(instanceTypes, {}),
  /**
   * Capacity providers (as in CAPACITY_PROVIDERS, or `*` for all) scale-capacity hands back: each pass
   * only releases the scale-in protection it set on their groups, and changes nothing else. Set before
   * removing a provider from CAPACITY_PROVIDERS or disabling or deleting the function.
   */
  RELEASE_PROTECTION: env.list(),
};

export interface ProviderRef {
  cluster: string;
  capacityProvider: string;
}

export type ScaleCapacityConfig = ReturnType<typeof loadScaleCapacityConfig>;

export function loadScaleCapacityConfig(source: Record<string, string | undefined> = process.env) {
  const raw = loadConfig(configShape, source);
  const providers = raw.CAPACITY_PROVIDERS.map((entry) => providerRef(entry, raw.DEFAULT_CLUSTER));
  if (providers.length === 0) {
    throw new ConfigError(
      'Invalid environment configuration. CAPACITY_PROVIDERS: expected at least one capacity provider (cluster/provider) (got nothing)',
    );
  }
  const releaseAll = raw.RELEASE_PROTECTION.includes('*');
  const release = raw.RELEASE_PROTECTION.filter((entry) => entry !== '*').map((entry) =>
    providerRef(entry, raw.DEFAULT_CLUSTER),
  );
  const releaseProtection = providers.filter(
    (provider) =>
      releaseAll ||
      release.some(
        (ref) => ref.cluster === provider.cluster && ref.capacityProvider === provider.capacityProvider,
      ),
  );
  return {
    providers,
    table: raw.STATE_TABLE,
    dryRun: raw.DRY_RUN,
    releaseProtection,
    ...settingsFrom(raw),
  };
}

/** The planner settings alone (for `npm run plan -- --from-aws`), with the same validation. */
export function loadCapacitySettings(source: Record<string, string | undefined> = process.env) {
  const { CAPACITY_PROVIDERS: _providers, STATE_TABLE: _table, ...shape } = configShape;
  return settingsFrom(loadConfig(shape, source));
}

function settingsFrom(raw: {
  SCALE_IN_AFTER_SECONDS: number;
  MAX_STEP: number;
  MAX_SCALE_IN?: string | undefined;
  HEADROOM?: string | undefined;
  CONSOLIDATION: boolean;
  BOOT_TIMEOUT_SECONDS: number;
  INSTANCE_TYPES: unknown;
}) {
  const settings: CapacitySettings = {
    scaleInAfterSeconds: raw.SCALE_IN_AFTER_SECONDS,
    maxStep: raw.MAX_STEP,
    maxScaleIn: parseMaxScaleIn(raw.MAX_SCALE_IN),
    headroom: parseHeadroom(raw.HEADROOM),
    consolidation: raw.CONSOLIDATION,
    bootTimeoutSeconds: raw.BOOT_TIMEOUT_SECONDS,
  };
  return { settings, instanceTypes: raw.INSTANCE_TYPES as Record<string, InstanceTypeResources> };
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

function providerRef(entry: string, defaultCluster: string | undefined): ProviderRef {
  const [cluster, provider] = entry.includes('/') ? entry.split('/', 2) : [defaultCluster, entry];
  if (!cluster || !provider || !NAME.test(cluster) || !NAME.test(provider)) {
    throw new ConfigError(
      `Invalid environment configuration. CAPACITY_PROVIDERS: expected cluster/provider names (letters, digits, - and _)${cluster ? '' : ', or DEFAULT_CLUSTER for a bare provider'} (got ${JSON.stringify(entry)})`,
    );
  }
  return { cluster, capacityProvider: provider };
}

export function parseMaxScaleIn(value: string | undefined): CapacitySettings['maxScaleIn'] {
  const text = value?.trim() ?? '';
  if (text === '') return { percent: 10 };
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(text) && Number(text) >= 1) return { count: Number(text) };
  throw new ConfigError(
    `Invalid environment configuration. MAX_SCALE_IN: expected a count such as 3 or a percentage such as 10% (got ${JSON.stringify(value)})`,
  );
}

export function parseHeadroom(value: string | undefined): CapacitySettings['headroom'] {
  const text = value?.trim() ?? '';
  if (text === '') return { tasks: 0 };
  if (/^\d+$/.test(text)) return { tasks: Number(text) };
  const match = /^(\d+)\s*x\s*(\d+)\s*\/\s*(\d+)$/i.exec(text);
  if (match) {
    const shape: Shape = {
      cpu: Number(match[2]),
      memoryMiB: Number(match[3]),
      gpus: 0,
      hostPorts: { tcp: [], udp: [] },
      enis: 0,
    };
    return { tasks: Number(match[1]), shape };
  }
  throw new ConfigError(
    `Invalid environment configuration. HEADROOM: expected a number of tasks such as 2, or tasks of a size such as 2x512/1024 (CPU units/MiB) (got ${JSON.stringify(value)})`,
  );
}
