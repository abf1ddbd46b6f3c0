/** See bundle.mjs. */
export const PRODUCTION_NODE_FLAGS: string[];
export function freshBundle(root: string, env?: Record<string, string | undefined>): string | undefined;
