/**
 * The CloudWatch namespace of the functions' own metrics, one for every deployment (dimensions tell
 * functions, clusters, groups and providers apart). Its own module: the CDK construct reads it without
 * loading Powertools.
 */
export const METRICS_NAMESPACE = 'EcsAutopilot';
