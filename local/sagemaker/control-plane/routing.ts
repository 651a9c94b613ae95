// Production-variant routing: SageMaker splits traffic by variant weight; a TargetVariant header
// overrides it.

export interface WeightedVariant {
  name: string;
  weight: number;
}

/** The variant a request goes to; `draw` is uniform in [0, 1). */
export const pickVariant = <V extends WeightedVariant>(
  variants: readonly V[],
  draw: number,
): V | undefined => {
  const total = variants.reduce((sum, v) => sum + Math.max(0, v.weight), 0);
  // All weights 0: SageMaker still serves; spread evenly rather than refuse.
  if (total <= 0)
    return variants[Math.min(variants.length - 1, Math.floor(draw * variants.length))];
  let threshold = draw * total;
  for (const variant of variants) {
    threshold -= Math.max(0, variant.weight);
    if (threshold < 0) return variant;
  }
  return variants[variants.length - 1];
};
