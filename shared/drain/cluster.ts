/** The group tag that names the cluster when the hook's metadata does not. */
export const CLUSTER_TAG = 'ecs-autopilot:cluster';

export type ClusterSource = 'hook-metadata' | 'group-tag' | 'default';

export interface ResolvedCluster {
  cluster: string;
  source: ClusterSource;
}

/**
 * The cluster named by a hook's NotificationMetadata: JSON `{"cluster": "..."}`. Metadata is free text,
 * so anything else (not JSON, no `cluster` string) names no cluster rather than failing.
 */
export function clusterFromMetadata(metadata: string | undefined): string | undefined {
  if (!metadata?.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('cluster' in parsed)) return undefined;
  const { cluster } = parsed;
  return typeof cluster === 'string' && cluster.trim() !== '' ? cluster.trim() : undefined;
}

export interface TagLike {
  Key?: string | undefined;
  Value?: string | undefined;
}

export function clusterFromTags(tags: readonly TagLike[] | undefined): string | undefined {
  const value = tags?.find((tag) => tag.Key === CLUSTER_TAG)?.Value?.trim();
  return value ? value : undefined;
}

/** Hook metadata first, then the group's tag, then the configured default. */
export function resolveCluster(sources: {
  metadata?: string | undefined;
  groupTags?: readonly TagLike[] | undefined;
  defaultCluster?: string | undefined;
}): ResolvedCluster | undefined {
  const fromMetadata = clusterFromMetadata(sources.metadata);
  if (fromMetadata) return { cluster: fromMetadata, source: 'hook-metadata' };
  const fromTag = clusterFromTags(sources.groupTags);
  if (fromTag) return { cluster: fromTag, source: 'group-tag' };
  if (sources.defaultCluster) return { cluster: sources.defaultCluster, source: 'default' };
  return undefined;
}

/** `web` for `web` or `arn:aws:ecs:us-east-1:123456789012:cluster/web`: clusters compare by name. */
export function clusterName(clusterOrArn: string): string {
  const slash = clusterOrArn.lastIndexOf('/');
  return clusterOrArn.startsWith('arn:') && slash !== -1 ? clusterOrArn.slice(slash + 1) : clusterOrArn;
}
