import type { Plan } from '../config/plan-schema';

/** `build` run once per plan object, its result kept as long as the plan is. */
export function perPlan<T extends object>(build: (plan: Plan) => T): (plan: Plan) => T {
  const made = new WeakMap<Plan, T>();
  return (plan) => {
    let v = made.get(plan);
    if (!v) {
      v = build(plan);
      made.set(plan, v);
    }
    return v;
  };
}
