let context: AudioContext | undefined;

/** A short two-tone beep (WebAudio): only after the operator switched sound on (a user gesture). */
export function beep(): void {
  try {
    context ??= new AudioContext();
    const start = context.currentTime;
    for (const [offset, hz] of [
      [0, 880],
      [0.25, 660],
    ] as const) {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.2, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.2);
      osc.connect(gain).connect(context.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.2);
    }
  } catch {
    // No audio device: the banner is enough.
  }
}
