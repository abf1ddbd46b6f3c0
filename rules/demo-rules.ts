/**
 * The demo's rules: every shipped template, as an integrator would start (the config's raw
 * form, validated with the rest of the demo config), and one inline rule for a tripped drive,
 * which no template covers.
 */
export function demoRules(): Array<Record<string, unknown>> {
  return [
    { template: 'lift-entrapment', params: { for: '45s' } },
    { template: 'door-forced' },
    { template: 'door-held-open', params: { for: '90s' } },
    // 2.5 bar: a booster holds 4; a burst pipe at night's low flow still leaves about 2.1.
    { template: 'pump-low-pressure', params: { below: 2.5, for: '20s' } },
    { template: 'tank-level-low', params: { below: 20 } },
    { template: 'motor-overcurrent' },
    { template: 'device-offline', params: { for: '2m' } },
    { template: 'camera-tamper' },
    {
      id: 'pump-trip',
      match: { kind: 'pump' },
      when: { field: 'fault_code', above: 0 },
      severity: 'major',
      team: 'engineering',
      message: '{name}: drive tripped (fault code {value})',
    },
  ];
}

/**
 * Notifications of the demo: the technicians' chat robot (a WeCom-style webhook; the demo runs a
 * receiver that prints what a technician would read) and the MQTT alert topic.
 */
export function demoNotify(webhook?: { url: string; secret: string }): Record<string, unknown> {
  const channels: Array<Record<string, unknown>> = [{ id: 'alerts-topic', type: 'mqtt' }];
  if (webhook)
    channels.unshift({
      id: 'duty-chat',
      type: 'webhook',
      url: webhook.url,
      secret: webhook.secret,
      preset: 'wecom',
    });
  return { channels, routes: [{ channels: channels.map((c) => c.id) }] };
}
