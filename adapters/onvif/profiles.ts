import onvif, { type OnvifDevice } from 'node-onvif';
import { errorMessage, GatewayError, isGatewayError } from '../../gateway/errors.ts';
import type { OnvifConfig } from './config.ts';

/**
 * node-onvif, as the adapter uses it: one `init()` per connection reads the service addresses,
 * the media profiles and their stream and snapshot URIs. Its errors are plain strings; they are
 * turned into our codes here.
 */

/** node-onvif's init(), bounded: it cannot be cancelled, only no longer waited for. */
export async function initNodeOnvif(
  xaddr: string,
  config: OnvifConfig,
  signal: AbortSignal,
): Promise<OnvifDevice> {
  let device: OnvifDevice;
  try {
    device = new onvif.OnvifDevice({ xaddr, user: config.username, pass: config.password });
  } catch (err) {
    // It refuses non-ASCII or `<`/`>` in credentials.
    throw new GatewayError('CGW_ONVIF_FAULT', `node-onvif refused the camera settings: ${errorMessage(err)}`);
  }
  const limitMs = Math.max(2_000, config.timeoutMs * 4);
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => {};
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new GatewayError('CGW_ONVIF_TIMEOUT', `profiles not read within ${limitMs} ms`)),
      limitMs,
    );
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  limit.catch(() => {}); // only the race reads it; losing the race must not be an unhandled rejection
  try {
    await Promise.race([device.init(), limit]);
  } catch (err) {
    if (isGatewayError(err) || signal.aborted) throw err;
    const message = errorMessage(err);
    if (/not\s*authori[sz]ed|NotAuthorized|\b401\b/i.test(message))
      throw new GatewayError('CGW_ONVIF_UNAUTHORIZED', `credentials refused (${message})`);
    if (/Network Error/i.test(message))
      throw new GatewayError('CGW_ONVIF_UNAVAILABLE', `unreachable: ${message}`);
    throw new GatewayError('CGW_ONVIF_FAULT', `reading profiles failed: ${message}`);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  return device;
}
