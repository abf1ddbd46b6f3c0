/**
 * Checks of `rules:` that need the rest of the config: device ids a rule names must exist.
 * Works on the raw document (like the config's own cross-check), so every mistake is reported
 * in the same run as the schema's.
 */
export function ruleCrossCheck(raw: unknown): Array<{ path: Array<string | number>; message: string }> {
  const root = (raw ?? {}) as { devices?: unknown; rules?: unknown };
  if (!Array.isArray(root.rules)) return [];
  const devices = new Set(
    (Array.isArray(root.devices) ? root.devices : [])
      .map((d: unknown) => (d as { id?: unknown } | null)?.id)
      .filter((id): id is string => typeof id === 'string'),
  );
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  root.rules.forEach((rule: unknown, index) => {
    const ids = (rule as { match?: { devices?: unknown } } | null)?.match?.devices;
    if (!Array.isArray(ids)) return;
    ids.forEach((id: unknown, i) => {
      if (typeof id === 'string' && !devices.has(id))
        problems.push({
          path: ['rules', index, 'match', 'devices', i],
          message: `"${id}" is not a device in this config`,
        });
    });
  });
  return problems;
}
