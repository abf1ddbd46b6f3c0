/**
 * The demo's rules: every shipped template, as an integrator would start (the config's raw
 * form, validated with the rest of the demo config).
 */
export function demoRules(): Array<Record<string, unknown>> {
  return [
    { template: 'lift-entrapment', params: { for: '45s' } },
    { template: 'door-forced' },
    { template: 'door-held-open', params: { for: '90s' } },
    { template: 'pump-low-pressure', params: { below: 2.0, for: '20s' } },
    { template: 'tank-level-low', params: { below: 20 } },
    { template: 'motor-overcurrent' },
    { template: 'device-offline', params: { for: '2m' } },
    { template: 'camera-tamper' },
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
