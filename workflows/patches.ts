/**
 * Patch ids of the extraction workflow (`patched(id)`), as constants: never
 * reuse one. See test/histories/README.md for the life of a patch.
 */
export const PATCHES = {
  /**
   * v2: one pipeline (src/routing/pipeline.ts) over activities grouped by policy,
   * review by Update, cancellation and stalls recorded, search attributes.
   * Runs without the marker (started before) take the v1 code.
   */
  pipelineV2: 'docroute-pipeline-v2',
} as const;
