/**
 * A minimal warm pool (Amazon EC2 Auto Scaling User Guide, "Warm pools for Amazon EC2 Auto Scaling"):
 * with ReuseOnScaleIn, an instance scaled in goes back to the pool (terminate hooks run with
 * `Destination: WarmPool`, state `Warmed:Pending:Wait`), is stopped there (`Warmed:Stopped`, its ECS
 * registration kept, agent disconnected), and a scale-out starts it again before launching new ones
 * (`EC2 Instance Launch Successful` with `Origin: WarmPool`). Pool sizing and warm-up hooks are not modelled.
 */
export interface WarmPoolRecord {
  poolState: 'Stopped';
  reuseOnScaleIn: boolean;
}

export const returnsToWarmPool = (pool: WarmPoolRecord | undefined) => pool?.reuseOnScaleIn === true;
