/** See bundle.mjs. */
export function freshBundle(root: string, env?: Record<string, string | undefined>): string | undefined;
