// Learning-rate schedules, computed in TypeScript and fed to the train step as a scalar.

export type Schedule = (step: number) => number;

export interface ScheduleOptions {
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up steps from warmupStart·lr to lr (0 for none). */
  warmupSteps?: number;
  /** Fraction of lr at step 0 of the warm-up (mmengine's LinearLR start_factor; default 0.001). */
  warmupStart?: number;
}

function warmup(o: ScheduleOptions, step: number): number | null {
  const w = o.warmupSteps ?? 0;
  if (step >= w) return null;
  const start = o.warmupStart ?? 0.001;
  return o.lr * (start + (1 - start) * (step / w));
}

export function constantSchedule(o: ScheduleOptions): Schedule {
  return (step) => warmup(o, step) ?? o.lr;
}

/** Multiplies the rate by `gamma` at each milestone (torch's MultiStepLR), after the warm-up. */
export function multiStepSchedule(o: ScheduleOptions & { milestones: number[]; gamma?: number }): Schedule {
  const gamma = o.gamma ?? 0.1;
  return (step) => warmup(o, step) ?? o.lr * gamma ** o.milestones.filter((m) => step >= m).length;
}

/** Cosine decay from lr to minLr over totalSteps (after the warm-up). */
export function cosineSchedule(o: ScheduleOptions & { totalSteps: number; minLr?: number }): Schedule {
  const minLr = o.minLr ?? 0;
  const w = o.warmupSteps ?? 0;
  return (step) => {
    const wu = warmup(o, step);
    if (wu !== null) return wu;
    const t = Math.min(1, (step - w) / Math.max(1, o.totalSteps - w));
    return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * t));
  };
}
