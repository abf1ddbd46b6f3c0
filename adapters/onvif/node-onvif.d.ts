/**
 * Types for node-onvif 0.1.7 (it ships none): only what the adapter uses. The shapes follow
 * node-onvif's lib/modules/device.js.
 */
declare module 'node-onvif' {
  export interface OnvifProfile {
    token: string;
    name: string;
    /** '' when the camera gave no snapshot URI. */
    snapshot: string;
    stream: { udp: string; http: string; rtsp: string };
    video: {
      source: {
        token: string;
        name: string;
        bounds: { width: number; height: number; x: number; y: number };
      } | null;
      encoder: {
        token: string;
        name: string;
        resolution: { width: number; height: number };
        quality: number;
        framerate: number;
        bitrate: number;
        encoding: string;
      } | null;
    };
  }

  /** GetDeviceInformationResponse as node-onvif keeps it (element names as the camera sent them). */
  export interface OnvifDeviceInformation {
    Manufacturer?: string;
    Model?: string;
    FirmwareVersion?: string;
    SerialNumber?: string;
    HardwareId?: string;
  }

  export interface OnvifService {
    xaddr: string;
  }

  export class OnvifDevice {
    constructor(params: { xaddr?: string; address?: string; user?: string; pass?: string });
    /** GetSystemDateAndTime, GetCapabilities, GetDeviceInformation, GetProfiles, GetStreamUri, GetSnapshotUri. */
    init(): Promise<OnvifDeviceInformation>;
    getInformation(): OnvifDeviceInformation | null;
    getProfileList(): OnvifProfile[];
    getCurrentProfile(): OnvifProfile | null;
    changeProfile(tokenOrIndex: string | number): OnvifProfile | null;
    fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
    setAuth(user: string, pass: string): void;
    /** Camera clock minus ours, ms (whole seconds), learned in init(). */
    time_diff: number;
    services: {
      device: OnvifService;
      events: OnvifService | null;
      media: OnvifService | null;
      ptz: OnvifService | null;
    };
  }

  export interface ProbeResult {
    urn: string;
    name: string;
    hardware: string;
    location: string;
    types: string[] | string;
    xaddrs: string[];
    scopes: string[];
  }

  interface NodeOnvif {
    OnvifDevice: typeof OnvifDevice;
    startProbe(): Promise<ProbeResult[]>;
    stopProbe(): Promise<void>;
    _MULTICAST_ADDRESS: string;
    _PORT: number;
    _DISCOVERY_WAIT: number;
  }

  const onvif: NodeOnvif;
  export default onvif;
}
